"""Render a redacted copy: the chosen boxes blurred or masked, the sound kept but the ranges.

The original is only read (M2: a redacted copy is a separate, derived file); the copy is an
H.264 + AAC MP4 that any browser plays, written to `dest` + ".part", fsynced and renamed, so
a crash, an error or a cancellation leaves either the whole copy or nothing (issue 21 §4).
Privacy and commercial secrets: 000§19, 001§25, 003§14, 004§21.

Times are seconds from the start of the source (the container's start time subtracted), the
same clock as the tracks' keyframes, the audio ranges and the review page's player. The copy
covers [start_seconds, end_seconds) of the source and starts at 0.

Frames are edited in their decoded YUV 4:2:0 planes: no colour conversion, so rendering costs
little beside the decoding and the encoding.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from avrecords.lib.redaction.audio import apply_ranges, parse_ranges
from avrecords.lib.redaction.errors import (
    Cancelled,
    NoVideo,
    RedactionError,
    TooLong,
    Unreadable,
)

logger = logging.getLogger(__name__)

STYLES = ("blur", "mask")
# Refused before any frame is decoded: a frame over 8K, more than 8 channels of sound.
MAX_FRAME_PIXELS = 7680 * 4320
MAX_FRAME_SIDE = 8192
MAX_AUDIO_CHANNELS = 8
MAX_FPS = 240
DEFAULT_FPS = Fraction(25)
VIDEO_PRESET = "veryfast"
VIDEO_CRF = "20"
# "mask": black in limited-range YUV (Y 16, U and V 128).
MASK_YUV = (16, 128, 128)
# "blur": a hidden box keeps at most this many soft cells across its longer side.
BLUR_CELLS = 6
PROGRESS_EVERY_SECONDS = 0.5
CANCEL_CHECK_EVERY_SECONDS = 0.5
HASH_CHUNK_BYTES = 4 * 1024 * 1024

BAD_SEGMENT = "所选时间段无效，请检查起止时间"
OUTSIDE = "所选时间段超出录像范围"
TOO_BIG = "录像画面尺寸过大，无法脱敏"
BAD_STYLE = "遮盖方式无效"


@dataclass(frozen=True)
class Probe:
    """What the renderer needs to know about a source before reading its frames."""

    duration_seconds: float
    width: int
    height: int
    fps: float
    has_audio: bool


@dataclass(frozen=True)
class RenderResult:
    """The finished copy: its SHA-256 and size (as written to dest), length, frame count."""

    sha256: str
    size_bytes: int
    duration_seconds: float
    frames: int


Source = str | os.PathLike | BinaryIO


def probe(source: Source) -> Probe:
    """Duration, frame size, frame rate and whether there is sound; RedactionError if not."""
    with _open(source) as container:
        return _probe(container, _name(source))


def render(
    source: Source,
    dest: Path | str,
    *,
    tracks: Sequence,
    style: str = "blur",
    keep_tracks: Sequence | None = None,
    audio_ranges: Sequence = (),
    start_seconds: float = 0.0,
    end_seconds: float | None = None,
    max_fps: float | None = None,
    max_seconds: float | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> RenderResult:
    """Write the redacted copy of `source` to `dest` (see the module's docstring).

    `tracks` are the TrackData to hide (tracker.box_at gives each one's box at a time);
    with `keep_tracks` (a sequence, even empty) the whole picture is hidden except those
    tracks' boxes ("everything except marked people"), and `tracks` is hidden as well;
    `audio_ranges` [(from_s, to_s, "mute" | "distort")]; `max_fps` frames of work per second
    (None or 0: as fast as the machine goes); `max_seconds` the longest stretch one copy may
    cover (TooLong beyond it). Raises Cancelled when `cancelled()` turns true, NoVideo,
    Unreadable, TooLong or RedactionError; in every such case no file is left at dest + ".part".
    """
    if style not in STYLES:
        raise RedactionError(BAD_STYLE, log_message=f"unknown style {style!r}")
    ranges = parse_ranges(audio_ranges)
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    name = _name(source)
    job = _Job(
        tracks=list(tracks),
        keep=None if keep_tracks is None else list(keep_tracks),
        style=style,
        ranges=ranges,
        max_fps=max_fps or None,
        progress=progress,
        cancelled=cancelled,
        name=name,
    )
    try:
        with _open(source) as container:
            info = _probe(container, name)
            start, end = _segment(info, start_seconds, end_seconds, max_seconds, name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            frames = job.run(container, part, start, end)
        duration = _duration_of(part)
        digest, size = _hash_and_sync(part)
        os.replace(part, dest)
        _sync_directory(dest.parent)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, RedactionError):
            logger.info("redaction of %s stopped: %s", name, exc.log_message)
            raise
        if _is_av_error(exc):
            raise Unreadable(log_message=f"cannot decode {name}: {exc}") from exc
        raise
    if progress is not None:
        progress(1.0)
    logger.info("redacted copy of %s: %s frames, %.2f s, %s", name, frames, duration, digest)
    return RenderResult(sha256=digest, size_bytes=size, duration_seconds=duration, frames=frames)


# --- reading -----------------------------------------------------------------------------


def _name(source: Source) -> str:
    return str(getattr(source, "name", source)) if not isinstance(source, str) else source


def _is_av_error(exc: BaseException) -> bool:
    import av

    return isinstance(exc, av.FFmpegError)


def _open(source: Source):
    import av

    try:
        target = source if hasattr(source, "read") else str(source)
        return av.open(target, "r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise Unreadable(log_message=f"cannot open {_name(source)}: {exc}") from exc


def _origin(container) -> float:
    return container.start_time / 1_000_000 if container.start_time else 0.0


def _fps(stream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= MAX_FPS:
            return Fraction(rate).limit_denominator(1001)
    return DEFAULT_FPS


def _probe(container, name: str) -> Probe:
    if not container.streams.video:
        raise NoVideo(log_message=f"{name} has no video stream")
    video = container.streams.video[0]
    width, height = video.codec_context.width, video.codec_context.height
    if not width or not height:
        raise Unreadable(log_message=f"{name}: video stream without a frame size")
    if width > MAX_FRAME_SIDE or height > MAX_FRAME_SIDE or width * height > MAX_FRAME_PIXELS:
        raise TooLong(TOO_BIG, log_message=f"{name}: frame {width}x{height} is over the bound")
    audio = container.streams.audio[0] if container.streams.audio else None
    if audio is not None and audio.codec_context.channels > MAX_AUDIO_CHANNELS:
        raise Unreadable(log_message=f"{name}: {audio.codec_context.channels} audio channels")
    if container.duration:
        duration = container.duration / 1_000_000
    elif video.duration and video.time_base:
        duration = float(video.duration * video.time_base)
    else:
        raise Unreadable(log_message=f"{name}: duration unknown")
    return Probe(
        duration_seconds=duration,
        width=width,
        height=height,
        fps=float(_fps(video)),
        has_audio=audio is not None,
    )


def _segment(info: Probe, start, end, max_seconds, name: str) -> tuple[float, float]:
    start = float(start or 0.0)
    end = info.duration_seconds if end is None else float(end)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise RedactionError(BAD_SEGMENT, log_message=f"{name}: segment {start}..{end}")
    if start >= info.duration_seconds:
        raise RedactionError(OUTSIDE, log_message=f"{name}: start {start} past the end")
    end = min(end, info.duration_seconds)
    if max_seconds and end - start > max_seconds:
        raise TooLong(
            log_message=f"{name}: {end - start:.0f} s to redact, limit {max_seconds:.0f} s"
        )
    return start, end


# --- the work ------------------------------------------------------------------------------


class _Job:
    """One pass over the source: demux, edit, encode, mux, with progress and cancellation."""

    def __init__(self, *, tracks, keep, style, ranges, max_fps, progress, cancelled, name):
        import numpy as np

        from avrecords.lib.redaction.tracker import box_at

        self.tracks = tracks
        self.keep = keep  # None, or the tracks left clear when everything else is hidden
        self.box_at = box_at
        self.hide = _mask if style == "mask" else _blur
        self.ranges = ranges
        self.max_fps = max_fps
        self.progress = progress
        self.cancelled = cancelled
        self.name = name
        self.rng = np.random.default_rng(0)  # the same settings give the same copy
        self.frames = 0
        self.began = time.monotonic()
        self.last_report = self.last_check = -math.inf

    def run(self, container, part: Path, start: float, end: float) -> int:
        import av

        origin = _origin(container)
        vin = container.streams.video[0]
        ain = container.streams.audio[0] if container.streams.audio else None
        vin.thread_type = "AUTO"
        fps = _fps(vin)
        width, height = vin.codec_context.width // 2 * 2, vin.codec_context.height // 2 * 2
        self._check(0.0)
        if start > 0:
            container.seek(int((start + origin) * 1_000_000), backward=True, any_frame=False)
        with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout = out.add_stream("libx264", rate=fps)
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.options = {"preset": VIDEO_PRESET, "crf": VIDEO_CRF}
            audio = None
            if ain is not None:
                audio = _AudioPath(out, ain, self, start, end)
            video_done = False
            last_pts, last_t = -1, start - 1 / float(fps)
            demuxed = (vin, ain) if ain is not None else (vin,)
            for packet in container.demux(*demuxed):
                if packet.stream is vin:
                    if video_done:
                        continue
                    for frame in packet.decode():
                        if frame.time is not None:
                            t = frame.time - origin
                        else:  # no timestamp: the next frame at the stream's rate
                            t = last_t + 1 / float(fps)
                        last_t = t
                        if t >= end - 1e-6:
                            video_done = True
                            break
                        if t < start - 0.5 / float(fps):
                            continue
                        pts = max(last_pts + 1, round((t - start) * fps))
                        out.mux(vout.encode(self._edit(frame, t, width, height, pts)))
                        last_pts = pts
                        self._after_frame((t - start) / (end - start))
                elif audio is not None and not audio.done:
                    for frame in packet.decode():
                        audio.feed(frame, origin)
                if video_done and (audio is None or audio.done):
                    break
            if self.frames == 0:
                raise RedactionError(OUTSIDE, log_message=f"{self.name}: no frame in segment")
            out.mux(vout.encode(None))
            if audio is not None:
                audio.flush()
        return self.frames

    def _edit(self, frame, t: float, width: int, height: int, pts: int):
        import av

        if frame.format.name != "yuv420p" or frame.width != width or frame.height != height:
            frame = frame.reformat(width=width, height=height, format="yuv420p")
        planes = None
        if self.keep is not None:  # everything except the marked people
            original = frame.to_ndarray()
            planes = _Planes(original.copy(), width, height)
            self.hide(planes, (0.0, 0.0, 1.0, 1.0))
            clear = _Planes(original, width, height)
            for track in self.keep:
                box = self.box_at(track, t)
                rect = planes.rect(box) if box is not None else None
                if rect is not None:
                    for (region, _), (source, _) in zip(
                        planes.regions(rect), clear.regions(rect), strict=True
                    ):
                        region[...] = source
        for track in self.tracks:
            box = self.box_at(track, t)
            if box is None:
                continue
            if planes is None:
                planes = _Planes(frame.to_ndarray(), width, height)
            self.hide(planes, box)
        if planes is not None:
            frame = av.VideoFrame.from_ndarray(planes.array, format="yuv420p")
        else:
            frame = av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        frame.pts = pts
        return frame

    def _after_frame(self, fraction: float) -> None:
        self.frames += 1
        if self.max_fps:
            ahead = self.frames / self.max_fps - (time.monotonic() - self.began)
            if ahead > 0:
                time.sleep(ahead)
        self._check(fraction)

    def _check(self, fraction: float) -> None:
        now = time.monotonic()
        if self.cancelled is not None and now - self.last_check >= CANCEL_CHECK_EVERY_SECONDS:
            self.last_check = now
            if self.cancelled():
                raise Cancelled(log_message=f"{self.name}: cancelled after {self.frames} frames")
        if self.progress is not None and now - self.last_report >= PROGRESS_EVERY_SECONDS:
            self.last_report = now
            self.progress(min(max(fraction, 0.0), 0.999))


class _AudioPath:
    """Decoded sound → float planar → trimmed to the segment, ranges applied → AAC."""

    def __init__(self, out, ain, job: _Job, start: float, end: float):
        import av

        ctx = ain.codec_context
        self.rate = ctx.sample_rate or 48000
        self.layout = "mono" if ctx.channels == 1 else "stereo"
        self.stream = out.add_stream("aac", rate=self.rate)
        self.stream.layout = self.layout
        self.resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate)
        self.out, self.job, self.start, self.end = out, job, start, end
        self.next_t: float | None = None
        self.out_pts = 0
        self.done = False

    def feed(self, frame, origin: float) -> None:
        if frame.time is not None:
            t = frame.time - origin
            if self.next_t is None or abs(t - self.next_t) > 0.05:
                self.next_t = t  # a gap or a jump in the source: follow its clock
        elif self.next_t is None:
            self.next_t = self.start
        for converted in self.resampler.resample(frame):
            self._write(converted)

    def _write(self, converted) -> None:
        import av

        block = converted.to_ndarray()
        n = block.shape[1]
        t0 = self.next_t
        self.next_t = t0 + n / self.rate
        i0 = max(0, math.ceil((self.start - t0) * self.rate - 1e-6))
        i1 = min(n, math.ceil((self.end - t0) * self.rate - 1e-6))
        if t0 >= self.end - 1e-9:
            self.done = True
            return
        if i1 <= i0:
            return
        block = block[:, i0:i1].astype("float32", copy=True)
        first = t0 + i0 / self.rate
        apply_ranges(block, first, self.rate, self.job.ranges, self.job.rng)
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=self.layout)
        frame.sample_rate = self.rate
        frame.time_base = Fraction(1, self.rate)
        frame.pts = max(self.out_pts, round((first - self.start) * self.rate))
        self.out_pts = frame.pts + block.shape[1]
        self.out.mux(self.stream.encode(frame))

    def flush(self) -> None:
        if not self.done:
            for converted in self.resampler.resample(None):
                self._write(converted)
        self.out.mux(self.stream.encode(None))


class _Planes:
    """Views of a yuv420p array (as PyAV's to_ndarray lays it out) as Y, U and V planes."""

    def __init__(self, array, width: int, height: int):
        self.array = array
        self.width, self.height = width, height
        quarter = height // 4
        self.y = array[:height]
        self.u = array[height : height + quarter].reshape(height // 2, width // 2)
        self.v = array[height + quarter :].reshape(height // 2, width // 2)

    def rect(self, box) -> tuple[int, int, int, int] | None:
        """The box in luma pixels, widened to even edges and clipped; None when empty."""
        x, y, w, h = box
        x0 = max(0, int(math.floor(x * self.width)) // 2 * 2)
        y0 = max(0, int(math.floor(y * self.height)) // 2 * 2)
        x1 = min(self.width, -(-int(math.ceil((x + w) * self.width)) // 2) * 2)
        y1 = min(self.height, -(-int(math.ceil((y + h) * self.height)) // 2) * 2)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    def regions(self, rect):
        x0, y0, x1, y1 = rect
        yield self.y[y0:y1, x0:x1], 0
        yield self.u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 1
        yield self.v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 2


def _mask(planes: _Planes, box) -> None:
    rect = planes.rect(box)
    if rect is None:
        return
    for region, index in planes.regions(rect):
        region[...] = MASK_YUV[index]


def _blur(planes: _Planes, box) -> None:
    """Down to a few cells, then smoothly up again: no feature survives, the shape does."""
    import cv2

    rect = planes.rect(box)
    if rect is None:
        return
    for region, _ in planes.regions(rect):
        h, w = region.shape
        if h == 0 or w == 0:
            continue
        cell = max(1.0, max(w, h) / BLUR_CELLS)
        small = cv2.resize(
            region,
            (max(1, round(w / cell)), max(1, round(h / cell))),
            interpolation=cv2.INTER_AREA,
        )
        region[...] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


# --- finishing -----------------------------------------------------------------------------


def _duration_of(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return container.duration / 1_000_000 if container.duration else 0.0


def _hash_and_sync(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(fh.fileno())
    return digest.hexdigest(), size


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
