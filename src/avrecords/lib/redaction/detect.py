"""Find what a redacted copy hides: faces and text, tracked through a stretch of a video.

Every frame is decoded (H.264 needs it) but only a subsample is looked at: `detect_fps`
rounds a second (default 5), each frame of a round shrunk by the decoder's scaler to the
size the detector wants. A 50 fps file costs the same detector time as a 25 fps one; the
tracker (tracker.py) carries boxes between rounds. Privacy and commercial secrets
(000§19, 001§25, 003§14, 004§21); the source file is only read (M2).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from avrecords.lib.redaction import errors
from avrecords.lib.redaction.tracker import Box, TrackData, Tracker, box_at

__all__ = ["Box", "TrackData", "box_at", "detect_tracks", "open_video", "DEFAULT_DETECT_FPS"]

DEFAULT_DETECT_FPS = 5.0
TARGETS = {"faces", "text"}
PROGRESS_EVERY_SECONDS = 1.0


def detect_tracks(
    source: Path | str,
    *,
    targets: set[str],
    start_seconds: float = 0.0,
    end_seconds: float | None = None,
    detect_fps: float = DEFAULT_DETECT_FPS,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[TrackData]:
    """Tracks of faces ("face") and text ("text") between start and end (seconds of source).

    Raises NoVideo, Unreadable, Cancelled (all RedactionError). Faces come first, then text,
    each in order of first appearance.
    """
    from avrecords.lib.redaction import faces, text

    unknown = set(targets) - TARGETS
    if unknown or not targets:
        raise ValueError(f"targets must be a non-empty subset of {sorted(TARGETS)}: {targets}")
    if detect_fps <= 0:
        raise ValueError("detect_fps must be positive")
    interval = 1.0 / detect_fps
    trackers = {}
    if "faces" in targets:
        trackers["faces"] = (Tracker("face", interval=interval), faces, faces.MAX_SIDE_PIXELS)
    if "text" in targets:
        trackers["text"] = (Tracker("text", interval=interval), text, text.MAX_SIDE_PIXELS)
    look_side = max(side for _t, _m, side in trackers.values())

    def look(t: float, frame) -> None:
        rgb = _scaled_rgb(frame, look_side)
        for tracker, module, side in trackers.values():
            tracker.update(t, module.detect(rgb, max_side=side))

    next_round = start_seconds
    last_report = None
    last_round = last = None
    for t, frame, span in _frames(source, start_seconds, end_seconds):
        if cancelled is not None and cancelled():
            raise errors.Cancelled(log_message="detection cancelled")
        last = (t, frame)
        if t + 1e-6 < next_round:
            continue
        # Skip whole intervals if the stream jumped (variable frame rate, a gap).
        while next_round <= t + 1e-6:
            next_round += interval
        look(t, frame)
        last_round = t
        if progress is not None and span and (last_report is None or t - last_report >= 1):
            last_report = t
            progress(min(1.0, max(0.0, (t - start_seconds) / span)))
    if last is not None and last[0] != last_round:
        # The stretch's last frame is looked at too: the tracks reach the very end.
        look(*last)
    if progress is not None:
        progress(1.0)
    tracks: list[TrackData] = []
    for tracker, _module, _side in trackers.values():
        tracks.extend(tracker.finish())
    return tracks


def open_video(source: Path | str):
    """(container, video stream) of a file; NoVideo / Unreadable as RedactionError."""
    import av

    try:
        container = av.open(str(source))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise errors.Unreadable(log_message=f"cannot open {source}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise errors.NoVideo(log_message=f"no video stream in {source}")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def duration_of(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _frames(source, start_seconds: float, end_seconds: float | None):
    """(t, av frame, seconds of the stretch) for each decoded frame from start to end."""
    import av

    container, stream = open_video(source)
    try:
        duration = duration_of(container, stream)
        end = end_seconds if end_seconds is not None else duration
        span = (end - start_seconds) if end is not None else None
        if start_seconds > 0 and stream.time_base is not None:
            container.seek(int(start_seconds / stream.time_base), stream=stream, backward=True)
        decoded = 0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                t = float(frame.time)
                if t + 1e-6 < start_seconds:
                    continue
                if end_seconds is not None and t >= end_seconds:
                    break
                decoded += 1
                yield t, frame, span
        except av.FFmpegError as exc:
            raise errors.Unreadable(log_message=f"decoding {source} failed: {exc}") from exc
        if decoded == 0 and (duration is None or start_seconds < duration):
            raise errors.Unreadable(log_message=f"no frame decoded from {source}")
    finally:
        container.close()


def _scaled_rgb(frame, max_side: int):
    """The frame as RGB, shrunk by the decoder's scaler so its longer side is <= max_side."""
    width, height = frame.width, frame.height
    ratio = min(1.0, max_side / max(width, height))
    if ratio < 1.0:
        width = max(2, int(round(width * ratio / 2)) * 2)
        height = max(2, int(round(height * ratio / 2)) * 2)
        return frame.to_ndarray(format="rgb24", width=width, height=height)
    return frame.to_ndarray(format="rgb24")
