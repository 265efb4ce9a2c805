"""Generate real media files with PyAV: what a body camera, phone or recorder would write.

Used by the demo agency and by the tests, so every test works on genuine encoded media.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import av
    import numpy as np

# PyAV and numpy load when a clip is made, not when the demo command loads (issue 22 §1).


def _video_frame(i: int, width: int, height: int) -> av.VideoFrame:
    # A moving gradient: cheap to make, and every frame differs so encoders do real work.
    import av
    import numpy as np

    i %= 4096  # keeps the arithmetic in range; variants still differ frame by frame
    x = np.arange(width, dtype=np.uint16)
    y = np.arange(height, dtype=np.uint16)[:, None]
    r = ((x + i * 4) % 256).astype(np.uint8)
    g = ((y + i * 2) % 256).astype(np.uint8)
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:, :, 0] = r
    img[:, :, 1] = g
    img[:, :, 2] = (i * 3) % 256
    return av.VideoFrame.from_ndarray(img, format="rgb24")


def make_video(
    path: Path,
    *,
    seconds: float = 2.0,
    codec: str = "h264",
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    audio: bool = True,
    creation_time: str | None = None,
    variant: int = 0,
    sound: np.ndarray | None = None,
) -> Path:
    """An H.264 or H.265 clip with AAC audio in MP4/MOV/TS (by the path's suffix).

    The audio is a 440 Hz tone, or `sound` (float32 mono 16 kHz, e.g. the demo's speech from
    `lib.listening.decode`), in which case the clip lasts as long as the sound."""
    import av
    import numpy as np

    if sound is not None:
        seconds = len(sound) / 16000

    fmt = {".mp4": "mp4", ".mov": "mov", ".ts": "mpegts", ".avi": "avi"}[path.suffix.lower()]
    encoder = {"h264": "libx264", "hevc": "libx265", "h265": "libx265"}[codec]
    with av.open(str(path), "w", format=fmt) as out:
        if creation_time:
            out.metadata["creation_time"] = creation_time
        vs = out.add_stream(encoder, rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = (
            {"preset": "ultrafast"}
            if encoder == "libx264"
            else {"preset": "ultrafast", "x265-params": "log-level=error"}
        )
        astream = None
        if audio:
            astream = out.add_stream("aac" if fmt != "avi" else "libmp3lame", rate=16000)
            astream.layout = "mono"
        samples_per_frame = 16000 // fps
        frames = int(seconds * fps) if sound is None else -(-len(sound) // samples_per_frame)
        for i in range(frames):
            out.mux(vs.encode(_video_frame(i + variant * 37, width, height)))
            if astream is not None:
                if sound is not None:
                    chunk = sound[i * samples_per_frame : (i + 1) * samples_per_frame]
                    chunk = np.pad(chunk, (0, samples_per_frame - len(chunk)))
                    tone = chunk.astype(np.float32)[None, :]
                else:
                    t = (np.arange(samples_per_frame) + i * samples_per_frame) / 16000
                    tone = (0.2 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)[None, :]
                af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                af.sample_rate = 16000
                af.pts = i * samples_per_frame
                af.time_base = Fraction(1, 16000)
                out.mux(astream.encode(af))
        out.mux(vs.encode(None))
        if astream is not None:
            out.mux(astream.encode(None))
    return path


def make_photo(path: Path, *, width: int = 640, height: int = 480) -> Path:

    frame = _video_frame(7, width, height).to_image()
    frame.save(path, "JPEG" if path.suffix.lower() in {".jpg", ".jpeg"} else "PNG")
    return path


def make_audio(path: Path, *, seconds: float = 2.0) -> Path:
    """Speech-band audio as WAV, MP3, AAC (ADTS) or AMR-NB (by suffix)."""
    import av
    import numpy as np

    suffix = path.suffix.lower()
    fmt, codec, rate = {
        ".wav": ("wav", "pcm_s16le", 16000),
        ".mp3": ("mp3", "libmp3lame", 16000),
        ".aac": ("adts", "aac", 16000),
        ".amr": ("amr", "libopencore_amrnb", 8000),
    }[suffix]
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        if codec == "libopencore_amrnb":
            stream.bit_rate = 12200
        chunk = 1024
        total = int(seconds * rate)
        for start in range(0, total, chunk):
            t = (np.arange(start, min(start + chunk, total))) / rate
            tone = (0.2 * np.sin(2 * math.pi * 330 * t)).astype(np.float32)
            fmt_name = "s16" if codec == "pcm_s16le" else "fltp"
            data = (tone * 32767).astype(np.int16)[None, :] if fmt_name == "s16" else tone[None, :]
            frame = av.AudioFrame.from_ndarray(data, format=fmt_name, layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def truncate_copy(src: Path, dest: Path, fraction: float = 0.5) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest
