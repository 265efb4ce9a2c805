"""Four cameras through the station agent to a local platform, against the one-pass bound
(issue 19 §2, §3).

In one run, on the same files:

  (a) agent    wall time of `avrecords station run --once` (parallel = 4, 8 MiB parts) from
               four docked cameras (--files each, real H.264 MP4s of --size-mb) to a local
               `avrecords serve`: copy + SHA-256 into the spool (fsync), tus upload with a
               SHA-256 per part, the platform's ingest of each file (the part file hashed
               once and adopted by the store, probe), the SHA-256 compared, journal;
  (b) bounds   1: reading every file once and hashing it with SHA-256, one after another (what
               a single pass over the bytes costs on this machine);
               2: copying every file once with SHA-256 in the same pass and the store's
               fsync (file and directory): the one durable write a platform must do;
  (c) ratio    agent / each bound (issue 19's target: >= 0.8 of bound 1);
  (d) re-sent  one more file uploaded through a proxy that cuts the connection at three
               random points: bytes sent beyond the file's size (target: at most one part
               per cut).

Both read from a warm page cache (every source is read once, untimed, before each phase).

    .venv/bin/python bench/agent_bench.py [--size-mb 64] [--files 4] [--workdir /tmp] [--keep]

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from benchmedia import (  # noqa: E402
    MB,
    MIB,
    bound_lines,
    copy_hash_fsync_seconds,
    dump_name,
    encode_clip,
    log,
    read_hash_seconds,
    remux_to_size,
    warm,
)
from tests.agent_site import (  # noqa: E402
    CuttingProxy,
    Platform,
    agent,
    dock,
    journal_rows,
    run_agent,
    write_config,
)

CAMERAS = 4
PART_MIB = 8
DEVICES = """
from avrecords.org.models import Unit
from avrecords.equipment.models import Device
unit = Unit.objects.get(name="执法一中队")
for serial in ("3501002", "3501003", "3501004"):
    Device.objects.create(serial=serial, unit=unit)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--files", type=int, default=4, help="files per camera")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="avrecords-agent-bench-", dir=args.workdir))
    site = None
    try:
        log(f"agent bench in {work}: {CAMERAS} cameras x {args.files} files x {args.size_mb} MB")
        clip = encode_clip(work / "clip.mp4")
        sources: dict[int, list[Path]] = {}
        for cam in range(CAMERAS):
            sources[cam] = []
            for i in range(args.files):
                n = cam * args.files + i
                path = (
                    work / "media" / f"{cam}" / dump_name(n).replace("3501001", f"350100{cam + 1}")
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                remux_to_size(clip, path, args.size_mb * MB, f"cam{cam}-{i}")
                sources[cam].append(path)
        files = [p for paths in sources.values() for p in paths]
        total = sum(p.stat().st_size for p in files)

        site = Platform(work / "home", ["基准测试采集站"])
        site.home.run("shell", "-c", DEVICES, check=True)
        config, docks = write_config(
            work / "station",
            site.url,
            site.secrets["基准测试采集站"],
            part_mib=PART_MIB,
        )
        bound = read_hash_seconds(files)
        copy_bound = copy_hash_fsync_seconds(files, work / "home" / "bound-copies")
        for cam, paths in sources.items():
            dock(docks, f"CAM{cam + 1}", f"350100{cam + 1}", {p.name: p for p in paths})
        warm(files)
        started = time.perf_counter()
        code, out, err = run_agent(config, timeout=3600)
        seconds = time.perf_counter() - started
        if code != 0:
            log(out + err)
            raise SystemExit(f"agent exited {code}")
        done = journal_rows(config, "SELECT COUNT(*) FROM files WHERE state='done' AND verified=1")
        log(f"files verified on the platform: {done[0][0]} of {len(files)}")
        agent_mb_s = total / seconds / 1e6
        bound_mb_s = total / bound / 1e6
        log(f"agent:  {total / 1e6:.0f} MB in {seconds:.1f} s = {agent_mb_s:.1f} MB/s")
        for line in bound_lines(total, seconds, bound, copy_bound):
            log(line)
        ratio = agent_mb_s / bound_mb_s
        log(f"ratio:  {ratio:.2f} to bound 1 (target >= 0.8: {'PASS' if ratio >= 0.8 else 'FAIL'})")

        resent, size = cut_run(site, clip, work, args.size_mb)
        log(
            f"cuts:   during a {size / 1e6:.0f} MB upload, {resent / 1e6:.1f} MB re-sent "
            f"({resent / (PART_MIB * MIB):.2f} parts of {PART_MIB} MiB; target <= 3 parts: "
            f"{'PASS' if resent <= 3 * PART_MIB * MIB else 'FAIL'})"
        )
    finally:
        if site is not None:
            site.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def cut_run(site: Platform, clip, work: Path, size_mb: int) -> tuple[int, int]:
    """One file through a proxy that drops every connection at three random points."""
    proxy = CuttingProxy(site.port)
    config, docks = write_config(
        work / "cut-station", proxy.url, site.secrets["基准测试采集站"], part_mib=PART_MIB
    )
    path = work / "cut" / dump_name(99)
    path.parent.mkdir()
    size = remux_to_size(clip, path, size_mb * 2 * MB, "cut")
    dock(docks, "CAM9", "3501001", {path.name: path})
    # three random points of the bytes going to the platform: each cut lands mid-request
    proxy.cut_points = sorted(random.uniform(0.1, 0.9) * size for _ in range(3))
    proc = agent(config, "--once")
    out, err = proc.communicate(timeout=600)
    proxy.close()
    if proc.returncode != 0:
        log(out + err)
        raise SystemExit(f"agent exited {proc.returncode} after the cuts")
    [(sent,)] = journal_rows(config, "SELECT bytes_sent FROM files")
    log(
        f"        {proxy.cuts} cuts; bytes through the proxy to the platform: "
        f"{proxy.sent_upstream / 1e6:.1f} MB"
    )
    return sent - size, size


if __name__ == "__main__":
    sys.exit(main())
