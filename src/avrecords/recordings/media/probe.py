"""Read what a media file is (duration, codecs, size, creation time) and whether it is whole.

The creation time is read from the container, its streams, or a photo's EXIF (issue 19 §5;
`recordings.start_time` decides whether it is used).

Used at ingest to decide between storing and quarantining: a file that cannot be opened,
has no decodable first frame, or ends before its declared duration is not trusted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from avrecords.recordings.models import MediaKind

log = logging.getLogger(__name__)

BROWSER_VIDEO_CODECS = {"h264"}
BROWSER_CONTAINERS = {"mp4", "mov"}
BROWSER_AUDIO = {"mp3", "aac", "pcm_s16le", "pcm_u8", "pcm_s24le", "pcm_f32le", "vorbis", "opus"}
# A segment may end this much before its declared duration without being called truncated.
TAIL_TOLERANCE_SECONDS = 2.0


class MediaError(Exception):
    """The file is not readable media; the message is Chinese, for the quarantine list."""


@dataclass
class ProbeResult:
    """What the probe learned about one file."""

    container: str = ""
    duration_seconds: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    audio_channels: int | None = None
    sample_rate: int | None = None
    created_at: dt.datetime | None = None
    created_tag: str = ""  # which tag `created_at` was read from, for the logs
    needs_proxy: bool = False


# Tags cameras write their start time in, most trusted first (issue 19 §5): the container's
# creation time (MP4/MOV `mvhd`, AVI `IDIT`), Apple/Android's QuickTime key (local time with
# its offset), RIFF/ID3 `date`; then the same in the streams (some cameras fill only the
# track header).
CREATION_TAGS = ("creation_time", "com.apple.quicktime.creationdate", "date")
# Cameras without a clock write 1904/1970 epochs; those are not a time.
EARLIEST_CREATION_YEAR = 2000
# A time tag is at most this long ("2026-11-20T09:30:00.000000+08:00"); longer is not one.
MAX_TIME_TAG_CHARS = 40
# EXIF (photos): DateTimeOriginal and OffsetTimeOriginal in the Exif IFD; DateTime in IFD0.
EXIF_IFD = 0x8769
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_OFFSET_TIME_ORIGINAL = 0x9011
EXIF_DATETIME = 0x0132


def parse_time_tag(raw: str | None, offset: str = "") -> dt.datetime | None:
    """A tag's time, or None if it is not a full date and time after 2000. A time without a
    zone is the camera's local time, read in the platform's zone (GA/T 947 names are too)."""
    from django.utils import timezone

    text = (raw or "").strip()
    if not len("2000-01-01 00:00") <= len(text) <= MAX_TIME_TAG_CHARS:
        return None
    if text[4:5] == ":" and text[7:8] == ":":  # EXIF's "2026:11:20 09:30:00"
        text = f"{text[:4]}-{text[5:7]}-{text[8:]}"
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00") + offset.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.get_default_timezone())
    return parsed if parsed.year >= EARLIEST_CREATION_YEAR else None


def _creation_time(container) -> tuple[dt.datetime | None, str]:
    """The first usable creation time of the container's tags, then its streams', and the
    tag it came from."""
    for where, metadata in (
        ("container", container.metadata),
        *((f"stream {s.index}", s.metadata) for s in container.streams),
    ):
        for tag in CREATION_TAGS:
            parsed = parse_time_tag((metadata or {}).get(tag))
            if parsed is not None:
                return parsed, f"{where} {tag}"
    return None, ""


def _photo_time(path: str) -> tuple[dt.datetime | None, str]:
    """A photo's EXIF time (the camera's own), with its offset when the camera wrote one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            detail = exif.get_ifd(EXIF_IFD)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        log.debug("probe: no EXIF in %s: %r", path, exc)
        return None, ""
    offset = detail.get(EXIF_OFFSET_TIME_ORIGINAL)
    for tag, raw, zone in (
        ("exif DateTimeOriginal", detail.get(EXIF_DATETIME_ORIGINAL), offset),
        ("exif DateTime", exif.get(EXIF_DATETIME), ""),
    ):
        zone = zone if isinstance(zone, str) and len(zone) <= len("+08:00") else ""
        if isinstance(raw, str) and (parsed := parse_time_tag(raw, zone)):
            return parsed, tag
    return None, ""


def _check_tail(container, stream, declared: float) -> None:
    """Seek near the end and demux: a truncated file runs out before its declared duration."""
    import av

    if declared <= TAIL_TOLERANCE_SECONDS * 2 or stream.time_base is None:
        return
    target = int((declared - TAIL_TOLERANCE_SECONDS) / stream.time_base)
    try:
        container.seek(target, stream=stream, any_frame=False, backward=True)
    except av.error.FFmpegError as exc:
        raise MediaError("无法定位到文件结尾，文件可能不完整") from exc
    last_end = 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * stream.time_base)
            last_end = max(last_end, end)
    except av.error.FFmpegError as exc:
        raise MediaError(f"文件结尾数据损坏（{exc.__class__.__name__}）") from exc
    start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    if last_end - start < declared - TAIL_TOLERANCE_SECONDS * 2:
        raise MediaError(
            f"文件不完整：声明时长 {declared:.1f} 秒，实际数据只到 {last_end - start:.1f} 秒"
        )


def _first_frame(container, stream) -> None:
    import av

    try:
        for frame in container.decode(stream):
            if frame is not None:
                return
    except av.error.FFmpegError as exc:
        raise MediaError(f"无法解码首帧（{exc.__class__.__name__}）") from exc
    raise MediaError("文件中没有可解码的画面或声音")


def probe_file(path: str, kind: str) -> ProbeResult:
    """Probe one file of the given media kind; raise MediaError if it is not whole, readable media."""
    # PyAV is loaded by the first probe, not by every command that loads ingest (issue 22 §1).
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        log.debug("probe: cannot open %s as %s: %r", path, kind, exc)
        if isinstance(exc, av.error.InvalidDataError):
            raise MediaError("无法识别的媒体文件：数据无效，文件可能不完整或已损坏") from exc
        raise MediaError(f"无法识别的媒体文件（{exc.__class__.__name__}）") from exc
    with container:
        result = ProbeResult(container=container.format.name.split(",")[0])
        result.created_at, result.created_tag = _creation_time(container)
        if result.created_at is None and kind == MediaKind.PHOTO:
            result.created_at, result.created_tag = _photo_time(path)
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if kind in (MediaKind.VIDEO, MediaKind.PHOTO) and video is None:
            raise MediaError("文件中没有画面")
        if kind == MediaKind.AUDIO and audio is None:
            raise MediaError("文件中没有声音")
        if container.duration is not None and container.duration > 0:
            result.duration_seconds = container.duration / av.time_base
        elif video is not None and video.duration and video.time_base:
            result.duration_seconds = float(video.duration * video.time_base)
        if video is not None:
            result.video_codec = video.codec_context.name
            result.width = video.codec_context.width or None
            result.height = video.codec_context.height or None
            rate = video.average_rate or video.guessed_rate
            result.frame_rate = float(rate) if rate and kind == MediaKind.VIDEO else None
        if audio is not None:
            result.audio_codec = audio.codec_context.name
            result.audio_channels = audio.codec_context.channels or None
            result.sample_rate = audio.codec_context.sample_rate or None
        main = video if kind != MediaKind.AUDIO else audio
        _first_frame(container, main)
        if kind != MediaKind.PHOTO:
            _check_tail(container, main, result.duration_seconds)
        if kind == MediaKind.PHOTO:
            result.duration_seconds = 0.0
        result.needs_proxy = needs_proxy(kind, result)
    return result


def needs_proxy(kind: str, probe: ProbeResult) -> bool:
    """Whether browsers cannot play the original as it is."""
    if kind == MediaKind.VIDEO:
        audio_ok = not probe.audio_codec or probe.audio_codec in {"aac", "mp3"}
        return not (
            probe.container in BROWSER_CONTAINERS
            and probe.video_codec in BROWSER_VIDEO_CODECS
            and audio_ok
        )
    if kind == MediaKind.AUDIO:
        return probe.audio_codec not in BROWSER_AUDIO
    return False
