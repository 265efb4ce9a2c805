"""Finding, viewing and playing recordings, each act scoped and audited (M4, X1, X2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from avrecords.audit import services as audit
from avrecords.lib.storage import get_store
from avrecords.org.scope import can_ingest, scope_q
from avrecords.recordings.models import Derivative, IngestBatch, QuarantinedFile, Recording


@dataclass
class RecordingFilter:
    """The list filters a user can set (all optional)."""

    officer: int | None = None
    device: str | None = None
    unit: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    media_kind: str | None = None
    status: str | None = None
    needs_assignment: bool | None = None
    q: str | None = None


def visible_recordings(user) -> QuerySet[Recording]:
    return Recording.objects.filter(scope_q(user)).select_related("officer", "device", "unit")


def search_recordings(user, f: RecordingFilter) -> QuerySet[Recording]:
    qs = visible_recordings(user)
    if f.officer:
        qs = qs.filter(officer_id=f.officer)
    if f.device:
        qs = qs.filter(Q(device__serial__iexact=f.device) | Q(device_serial__iexact=f.device))
    if f.unit:
        from avrecords.org.models import Unit

        unit = Unit.objects.filter(pk=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.date_from:
        qs = qs.filter(started_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(started_at__date__lte=f.date_to)
    if f.media_kind:
        qs = qs.filter(media_kind=f.media_kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.needs_assignment is not None:
        qs = qs.filter(needs_assignment=f.needs_assignment)
    if f.q:
        qs = qs.filter(
            Q(original_name__icontains=f.q)
            | Q(officer__full_name__icontains=f.q)
            | Q(device_serial__icontains=f.q)
            | Q(sha256__startswith=f.q.lower())
        )
    return qs


def get_visible(user, recording_id: int) -> Recording:
    """The recording if the user may see it; 404 otherwise (existence is not revealed)."""
    recording = visible_recordings(user).filter(pk=recording_id).first()
    if recording is None:
        raise Http404("记录不存在")
    return recording


def view_recording(user, recording_id: int, *, ip: str = "") -> Recording:
    recording = get_visible(user, recording_id)
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
        recording.storage_key, None, recording.size_bytes, mime, recording.original_name
    )


def thumbnail_path(recording: Recording) -> Path | None:
    thumb = _derivative(recording, Derivative.Kind.THUMBNAIL)
    return Path(settings.AVRECORDS_DERIVED_PATH) / thumb.relative_path if thumb else None


def record_playback(user, recording: Recording, *, download: bool, ip: str = "") -> None:
    action = "recording.download" if download else "recording.play"
    summary = f"{'下载原始文件' if download else '播放'} {recording.original_name}"
    audit.record(action, actor=user, obj=recording, summary=summary, ip=ip)


def open_media(source: MediaSource):
    return get_store().open(source.key) if source.key else open(source.path, "rb")


def visible_batches(user) -> QuerySet[IngestBatch]:
    if not can_ingest(user):
        return IngestBatch.objects.none()
    from avrecords.org.scope import sees_everything

    qs = IngestBatch.objects.select_related("station", "operator", "unit")
    if sees_everything(user):
        return qs
    return qs.filter(unit__path__startswith=user.unit.path) if user.unit_id else qs.none()


def visible_quarantine(user) -> QuerySet[QuarantinedFile]:
    if not can_ingest(user):
        return QuarantinedFile.objects.none()
    from avrecords.org.scope import sees_everything

    qs = QuarantinedFile.objects.select_related("batch", "unit")
    if sees_everything(user):
        return qs
    return qs.filter(unit__path__startswith=user.unit.path) if user.unit_id else qs.none()
