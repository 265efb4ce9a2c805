"""What the benchmarks share: real H.264 files of a chosen size, camera-style names, a station.

`encode_clip` encodes 2 s of noise once (large packets, so files grow fast); `remux_to_size`
stream-copies it, shifted in time, into an MP4 of about the asked size with distinct
metadata, so every file has its own SHA-256 and plays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

MB = 1_000_000
MIB = 1024 * 1024
STATION = "基准测试采集站"
CLIP_FRAMES = 50  # 2 s at 25 fps of noise: ~60 MB of large H.264 packets
CLIP_FPS = 25
WIDTH, HEIGHT = 1280, 720
SETUP_STATION = f"""
from avrecords.org.models import Unit
from avrecords.equipment.models import Station
unit = Unit.objects.create(name="基准测试单位", code="BENCH")
Station.objects.create(name={STATION!r}, unit=unit)
"""


def log(msg: str) -> None:
    print(msg, flush=True)


def warm(files: list[Path]) -> None:
    """Read every source once so the measured phases all start from a warm page cache."""
    buf = bytearray(8 * MIB)
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass


# --- the two bounds an upload is measured against (issue 19 §3) ---------------------------


def read_hash_seconds(files: list[Path]) -> float:
    """Reading every file once and hashing it with SHA-256 (8 MiB reads, warm cache): the
    least any platform spends on the bytes, with no durable write at all."""
    warm(files)
    buf = bytearray(8 * MIB)
    view = memoryview(buf)
    started = time.perf_counter()
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                digest.update(view[:n])
    return time.perf_counter() - started


def copy_hash_fsync_seconds(files: list[Path], dest_dir: Path) -> float:
    """Copying every file once to `dest_dir` (on the platform's disk) hashing it in the same
    pass, then fsync of the copy and its directory, as the store does: the one durable
    write the platform must do at least. The copies are removed afterwards (untimed)."""
    warm(files)
    dest_dir.mkdir(parents=True, exist_ok=True)
    buf = bytearray(8 * MIB)
    view = memoryview(buf)
    started = time.perf_counter()
    for i, path in enumerate(files):
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as src, open(dest_dir / f"{i}", "wb", 0) as dst:
            while n := src.readinto(buf):
                digest.update(view[:n])
                dst.write(view[:n])
            os.fsync(dst.fileno())
        dirfd = os.open(dest_dir, os.O_RDONLY)
        os.fsync(dirfd)
        os.close(dirfd)
    seconds = time.perf_counter() - started
    for i in range(len(files)):
        (dest_dir / f"{i}").unlink()
    return seconds


def bound_lines(total_bytes: int, seconds: float, read_s: float, copy_s: float) -> list[str]:
    """The measured rate and its ratio to each bound, as printed by the upload benches."""
    rate = total_bytes / seconds / MB
    read_rate, copy_rate = total_bytes / read_s / MB, total_bytes / copy_s / MB
    return [
        f"bound 1: read + SHA-256 once: {read_s:.2f} s = {read_rate:.0f} MB/s; "
        f"ratio {rate / read_rate:.2f}",
        f"bound 2: copy + SHA-256 once with the same fsync (one durable write): {copy_s:.2f} s "
        f"= {copy_rate:.0f} MB/s; ratio {rate / copy_rate:.2f}",
    ]


# --- generating real media --------------------------------------------------------------
@dataclass
class Clip:
    """Packets of one short encoded clip, kept in memory to be remuxed many times."""

    path: Path
    packets: list[tuple[bytes, int, int, bool, int]] = field(default_factory=list)
    duration: int = 0  # in stream time_base units


def encode_clip(path: Path) -> Clip:
    import av
    import numpy as np

    rng = np.random.default_rng(947)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(
            "libx264", rate=CLIP_FPS, options={"preset": "ultrafast", "qp": "12", "g": "5"}
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for _ in range(CLIP_FRAMES):
            pixels = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    clip = Clip(path)
    with av.open(str(path)) as inp:
        stream = inp.streams.video[0]
        for p in inp.demux(stream):
            if p.size:
                clip.packets.append((bytes(p), p.pts, p.dts, p.is_keyframe, p.duration))
        clip.duration = sum(p[4] for p in clip.packets)
    if not clip.packets or not clip.packets[0][3]:
        raise RuntimeError("encoded clip does not start with a keyframe")
    return clip


def remux_to_size(clip: Clip, dest: Path, target_bytes: int, tag: str) -> int:
    """Stream-copy the clip's packets, shifted in time, into dest until ~target_bytes."""
    import av

    with av.open(str(clip.path)) as inp:
        template = inp.streams.video[0]
        with av.open(str(dest), "w", format="mp4") as out:
            # Distinct metadata (and so a distinct SHA-256) per file: no duplicates.
            out.metadata["comment"] = f"avrecords ingest bench {tag} {secrets.token_hex(8)}"
            out.metadata["title"] = dest.name
            stream = out.add_stream_from_template(template)
            written = 0
            loop = 0
            while written < target_bytes:
                shift = loop * clip.duration
                for data, pts, dts, key, dur in clip.packets:
                    # Stop only before a keyframe so the file ends on a whole GOP.
                    if key and written >= target_bytes:
                        break
                    packet = av.Packet(data)
                    packet.pts, packet.dts, packet.duration = pts + shift, dts + shift, dur
                    packet.is_keyframe = key
                    packet.time_base = template.time_base
                    packet.stream = stream
                    out.mux(packet)
                    written += len(data)
                loop += 1
    return dest.stat().st_size


def dump_name(i: int) -> str:
    # GA/T 947 style: device serial (7) _ officer no. _ local start time _ segment no.
    start = dt.datetime(2026, 11, 20, 9, 30) + dt.timedelta(minutes=5 * i)
    return f"3501001_350211_{start:%Y%m%d%H%M%S}_{i + 1:04d}.MP4"
