"""Finding, viewing and playing recordings, each act scoped and audited (M4, X1, X2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.audit.models import AuditEntry
from avrecords.lib.refusals import require
from avrecords.lib.storage import get_store
from avrecords.org.scope import can_edit_case_info
from avrecords.recordings.models import Derivative, Recording
from avrecords.recordings.search import RecordingFilter, search_recordings  # noqa: F401 (M4)


def view_recording(user, recording_id: int, *, ip: str = "") -> Recording:
    recording = Recording.objects.get_visible(user, recording_id)
    audit.record(
        "recording.view",
        actor=user,
        obj=recording,
        summary=f"查看 {recording.original_name}",
        ip=ip,
    )
    return recording


@dataclass
class MediaSource:
    """What to stream for a recording: the original or a derived copy, and how to label it."""

    key: str | None
    path: Path | None
    size_bytes: int
    mime_type: str
    filename: str
    version: str = ""  # the store's version of an original (S3 VersionId); reads are pinned


ORIGINAL_MIME = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "ts": "video/mp2t",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "m4a": "audio/mp4",
}


def _derivative(recording: Recording, kind: str) -> Derivative | None:
    return recording.derivatives.filter(kind=kind).first()


def playback_source(recording: Recording) -> MediaSource | None:
    """The original if browsers can play it, else its proxy; None while the proxy is being made."""
    if recording.needs_proxy:
        proxy = _derivative(recording, Derivative.Kind.PROXY)
        if proxy is None:
            return None
        path = Path(settings.AVRECORDS_DERIVED_PATH) / proxy.relative_path
        return MediaSource(
            None, path, proxy.size_bytes, proxy.mime_type, Path(proxy.relative_path).name
        )
    return original_source(recording)


def original_source(recording: Recording) -> MediaSource:
    mime = ORIGINAL_MIME.get(recording.extension, "application/octet-stream")
    return MediaSource(
        recording.storage_key,
        None,
        recording.size_bytes,
        mime,
        recording.original_name,
        recording.storage_version,
    )


def thumbnail_path(recording: Recording) -> Path | None:
    thumb = _derivative(recording, Derivative.Kind.THUMBNAIL)
    return Path(settings.AVRECORDS_DERIVED_PATH) / thumb.relative_path if thumb else None


def record_playback(user, recording: Recording, *, download: bool, ip: str = "") -> None:
    action = "recording.download" if download else "recording.play"
    summary = f"{'下载原始文件' if download else '播放'} {recording.original_name}"
    audit.record(action, actor=user, obj=recording, summary=summary, ip=ip)


# How long after a recorded playback a player may still pause and seek in it without the seek
# counting as a new playback: the recording's own length plus this.
PLAYBACK_PAUSE_SECONDS = 3600


def playback_to_record(user, recording: Recording, *, whole_file: bool, player_start: bool) -> bool:
    """Whether a delivery of playback bytes is recorded as a playback (X1; issue 15, row 4).

    The whole file and a player's start (bytes=0-, or the bytes=0-1 probe) always are. Any
    other range is a seek within the playback recorded last, unless this user has no recorded
    playback of this recording within its length plus PLAYBACK_PAUSE_SECONDS: then it is
    recorded itself, so no bytes of a recording leave without an entry naming who took them.
    """
    if whole_file or player_start:
        return True
    window = dt.timedelta(seconds=(recording.duration_seconds or 0) + PLAYBACK_PAUSE_SECONDS)
    recent = AuditEntry.objects.filter(
        action="recording.play",
        actor=user,
        object_type=recording._meta.label_lower,
        object_id=str(recording.pk),
        at__gte=timezone.now() - window,
    )
    return not recent.exists()


def record_thumbnail(user, recording: Recording, *, ip: str = "") -> None:
    """A thumbnail is a frame of the recording: each delivery is audited like a playback."""
    summary = f"查看缩略图 {recording.original_name}"
    audit.record("recording.thumbnail", actor=user, obj=recording, summary=summary, ip=ip)


def open_media(source: MediaSource):
    if source.key:
        return get_store().open(source.key, version=source.version)
    return open(source.path, "rb")


def original_url(source: MediaSource) -> str | None:
    """A presigned URL of the pinned original, valid AVRECORDS_S3_URL_SECONDS; None to stream.

    Short on purpose: a URL handed out now must not outlast the user's permission (M3).
    """
    seconds = settings.AVRECORDS_S3_URL_SECONDS
    if not source.key or seconds <= 0:
        return None
    return get_store().presigned_url(
        source.key,
        version=source.version,
        expires_seconds=seconds,
        filename=source.filename,
        content_type=source.mime_type,
    )


def update_case_info(
    user, recording_id: int, *, case_number: str, party: str, place: str, ip: str = ""
) -> bool:
    """Set 案件编号, 当事人 and 地点 (M4); audited with the values before and after (X1).

    Returns False, writing nothing, when nothing changes. Scope first (404), then the
    permission (403); the view checks the same, in the same order."""
    recording = Recording.objects.get_visible(user, recording_id)
    require(can_edit_case_info(user))
    wanted = {"case_number": case_number, "party": party, "place": place}
    changed = {f: v for f, v in wanted.items() if getattr(recording, f) != v}
    if not changed:
        return False
    before = {f: getattr(recording, f) for f in changed}
    with transaction.atomic():
        Recording.objects.filter(pk=recording.pk).update(**changed)
        audit.record(
            "recording.edit",
            actor=user,
            obj=recording,
            summary=f"修改案件信息 {recording.original_name}",
            detail={"before": before, "after": changed},
            ip=ip,
        )
    return True
