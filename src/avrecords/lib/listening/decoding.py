"""Audio out of any recording as float32 mono 16 kHz, through PyAV (U5).

Only what is asked for is decoded: the audio stream alone, from `start_seconds`, for at most
`max_seconds` (and never more than MAX_DECODE_SECONDS), so checking the opening minutes of a
two-hour file reads a few megabytes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import NoAudio, Unreadable

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Hard bound on one decode whatever the caller asks: an hour is 230 MB of float32.
MAX_DECODE_SECONDS = 3600.0


def decode(
    source: str | Path | BinaryIO,
    *,
    start_seconds: float = 0.0,
    max_seconds: float | None = None,
) -> np.ndarray:
    """The audio of `source` (a path or a seekable binary file) as float32 mono 16 kHz.

    Raises NoAudio when the file has no audio stream and Unreadable when it cannot be opened
    or nothing of its audio can be decoded. A file damaged part-way gives what came before.
    """
    import av

    limit = MAX_DECODE_SECONDS if max_seconds is None else min(max_seconds, MAX_DECODE_SECONDS)
    wanted = max(0, int(round(limit * SAMPLE_RATE)))
    name = str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "stream")
    try:
        container = av.open(str(source) if isinstance(source, (str, Path)) else source, "r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise Unreadable(log_message=f"cannot open {name}: {exc}") from exc
    try:
        if not container.streams.audio:
            raise NoAudio(log_message=f"{name} has no audio stream")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        return _read(container, stream, start_seconds, wanted, name)
    finally:
        container.close()


def _read(container, stream, start_seconds: float, wanted: int, name: str) -> np.ndarray:
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    skip = 0  # samples still to drop before start_seconds (seeking lands on a packet)
    if start_seconds > 0:
        try:
            container.seek(int(start_seconds * av.time_base), any_frame=False)
        except av.FFmpegError as exc:
            log.info("seek failed in %s (%s); decoding from the start", name, exc)
        first_time = None
    parts: list[np.ndarray] = []
    have = 0
    failed: Exception | None = None
    try:
        for frame in container.decode(stream):
            if start_seconds > 0 and first_time is None:
                first_time = float(frame.time) if frame.time is not None else 0.0
                skip = max(0, int(round((start_seconds - first_time) * SAMPLE_RATE)))
            for out in resampler.resample(frame):
                data = out.to_ndarray().reshape(-1)
                if skip:
                    cut = min(skip, data.size)
                    data, skip = data[cut:], skip - cut
                parts.append(data)
                have += data.size
            if have >= wanted:
                break
    except (av.FFmpegError, ValueError) as exc:
        failed = exc
        log.warning("audio of %s damaged after %.1f s: %s", name, have / SAMPLE_RATE, exc)
    if failed is not None and not parts:
        raise Unreadable(log_message=f"cannot decode audio of {name}: {failed}") from failed
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return np.ascontiguousarray(samples[:wanted], dtype=np.float32)
