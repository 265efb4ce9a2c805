"""The browser proxy of an H.265 recording against the ffmpeg command line (issue 22 §5).

Body cameras write H.265 that most browsers cannot play, so every such original gets an
H.264/AAC proxy (`recordings.media.derive.make_video_proxy`, M2: a derived copy, never the
evidence). The bound is the same transcode done by `ffmpeg` itself with the same settings:
libx264 CRF 26 preset veryfast, yuv420p, scaled to the same height, AAC, `+faststart`.

One generated clip (1920x1080, 25 fps, H.265 with AAC sound, --seconds long) is transcoded
--runs times by each, alternating, from a warm page cache. Prints each one's best and median
wall time, frames per second, the ratio ffmpeg / ours (1.0 = as fast as ffmpeg), the target
(>= 0.95) and PASS/FAIL. Exit status 0 whatever the figures (it is a report).

First figures (2026-12-07, idle 2-core machine, 10 s clip, 3 runs): ours 3.64 s best, ffmpeg
3.00 s best (3.50 s median): 0.82 best against best, 0.96 median against median; before the
proxy decoded H.265 with threads and kept one scaler, 0.72 on a 6 s clip. Not yet at target.

    .venv/bin/python bench/proxy_bench.py [--seconds 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from avrecords.recordings.media.derive import PROXY_CRF, make_video_proxy  # noqa: E402

TARGET_RATIO = 0.95
WIDTH, HEIGHT, FPS = 1920, 1080, 25
PROXY_HEIGHT = 720  # AVRECORDS_PROXY_MAX_HEIGHT's default


def make_clip(path: Path, seconds: int) -> Path:
    """A moving picture with fine detail (so the encoders work) and a tone, in H.265 + AAC."""
    import av
    import numpy as np

    frames = seconds * FPS
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 256, (HEIGHT // 4, WIDTH // 4, 3), dtype=np.uint8)
    texture = np.kron(texture, np.ones((4, 4, 1), dtype=np.uint8))
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx265", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for i in range(frames):
            shifted = np.roll(texture, (i * 3, i * 5), axis=(0, 1))
            frame = av.VideoFrame.from_ndarray(shifted, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = 1024
        t = np.arange(seconds * 48000, dtype=np.float32) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, tone.size, samples):
            block = np.stack([tone[start : start + samples]] * 2)
            aframe = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            aframe.sample_rate = 48000
            aframe.pts = start
            out.mux(audio.encode(aframe))
        out.mux(audio.encode(None))
    return path


def ffmpeg_command(src: Path, dest: Path) -> list[str]:
    return [
        "ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(src),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", f"scale=-2:{PROXY_HEIGHT}",
        "-c:v", "libx264", "-crf", PROXY_CRF, "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-movflags", "+faststart", str(dest),
    ]  # fmt: skip


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print("[proxy] ffmpeg is not installed (apt install ffmpeg): the bound cannot be measured")
        return
    with tempfile.TemporaryDirectory(prefix="avrecords-proxy-bench-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder / "clip_h265.mp4", args.seconds)
        clip.read_bytes()  # warm page cache for both
        ours, theirs = [], []
        for run in range(args.runs):
            dest = folder / f"ours-{run}.mp4"
            ours.append(timed(lambda dest=dest: make_video_proxy(str(clip), dest, PROXY_HEIGHT)))
            out = folder / f"ffmpeg-{run}.mp4"
            command = ffmpeg_command(clip, out)
            theirs.append(timed(lambda command=command: subprocess.run(command, check=True)))
        frames = args.seconds * FPS
        for name, times in (("ours (PyAV)", ours), ("ffmpeg CLI", theirs)):
            best = min(times)
            print(
                f"[proxy] {name:12} best {best:6.2f} s  median {statistics.median(times):6.2f} s"
                f"  {frames / best:6.1f} frames/s"
            )
        ratio = min(theirs) / min(ours)
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        print(
            f"[proxy] H.265 {WIDTH}x{HEIGHT} -> H.264 {PROXY_HEIGHT}p, {args.seconds} s: "
            f"ffmpeg / ours = {ratio:.2f}  target >= {TARGET_RATIO}  {verdict}"
        )


if __name__ == "__main__":
    main()
