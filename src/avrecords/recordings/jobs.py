"""Background media jobs for each new original: thumbnail and, when needed, a browser proxy.

Media tools read the original from the store (M2): a path on the local store, else a
seekable reader of the pinned S3 version, so a thumbnail fetches only the ranges it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from avrecords.jobs.models import Job
from avrecords.jobs.services import handler
from avrecords.lib.storage import get_store
from avrecords.recordings.media import derive
from avrecords.recordings.models import Derivative, MediaKind, Recording, RecordingStatus


def derived_path(recording: Recording, filename: str) -> Path:
    return (
        Path(settings.AVRECORDS_DERIVED_PATH)
        / f"{recording.pk // 1000:04d}"
        / str(recording.pk)
        / filename
    )


def _save(recording: Recording, kind: str, dest: Path, mime: str) -> None:
    relative = dest.relative_to(settings.AVRECORDS_DERIVED_PATH).as_posix()
    Derivative.objects.update_or_create(
        recording=recording,
        kind=kind,
        defaults={"relative_path": relative, "mime_type": mime, "size_bytes": dest.stat().st_size},
    )


@contextmanager
def original_for_tools(recording: Recording) -> Iterator[str | BinaryIO]:
    """The original as PyAV and Pillow take it: a local path, or a seekable reader."""
    store = get_store()
    path = store.local_path(recording.storage_key, version=recording.storage_version)
    if path is not None:
        yield path
        return
    with store.open(recording.storage_key, version=recording.storage_version) as reader:
        yield reader


@handler("media.thumbnail")
def make_thumbnail(job: Job) -> None:
    recording = Recording.objects.get(pk=job.subject_id)
    dest = derived_path(recording, "thumbnail.jpg")
    with original_for_tools(recording) as src:
        if recording.media_kind == MediaKind.PHOTO:
            derive.make_photo_thumbnail(src, dest)
        else:
            derive.make_video_thumbnail(src, dest, recording.duration_seconds)
    _save(recording, Derivative.Kind.THUMBNAIL, dest, "image/jpeg")


@handler("media.proxy")
def make_proxy(job: Job) -> None:
    recording = Recording.objects.get(pk=job.subject_id)
    try:
        with original_for_tools(recording) as src:
            if recording.media_kind == MediaKind.VIDEO:
                dest = derived_path(recording, "proxy.mp4")
                derive.make_video_proxy(src, dest, settings.AVRECORDS_PROXY_MAX_HEIGHT)
                mime = "video/mp4"
            else:
                dest = derived_path(recording, "proxy.m4a")
                derive.make_audio_proxy(src, dest)
                mime = "audio/mp4"
    except Exception:
        if job.attempts >= job.max_attempts:
            Recording.objects.filter(pk=recording.pk).update(status=RecordingStatus.FAILED)
        raise
    with transaction.atomic():
        _save(recording, Derivative.Kind.PROXY, dest, mime)
        Recording.objects.filter(pk=recording.pk).update(status=RecordingStatus.READY)
