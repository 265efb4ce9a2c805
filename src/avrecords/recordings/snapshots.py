"""Still snapshots: a frame of a recording saved as a derived copy (issue 17 §5, M2, M3, X1).

"截取画面" decodes the frame at the player's current time from the original (read only, the
same reader the media jobs use; the original is never written) and stores it as a JPEG in
the derived area beside the thumbnail, one `Derivative` of kind SNAPSHOT per snapshot (many
per recording; the one-per-kind constraint excludes this kind). Being a `Derivative`, a
snapshot goes with the recording's other derived copies when the recording is purged (M5).

Taking one needs what playing needs; so does each download, which is audited and registered
like a thumbnail (`panels.PLAYBACK`).
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from avrecords.audit import services as audit
from avrecords.lib.refusals import Conflict, Forbidden, NotFound
from avrecords.panels import PLAYBACK
from avrecords.recordings.jobs import derived_path, original_for_tools
from avrecords.recordings.marks import BookmarkInvalid, clock, seconds_of
from avrecords.recordings.models import Derivative, MediaKind, Recording

log = logging.getLogger(__name__)

SNAPSHOT_JPEG_QUALITY = 90
SNAPSHOTS_PER_RECORDING_MAX = 200


def frame_at(src, at_seconds: float):
    """The PIL image of the first frame shown at or after `at_seconds` (the last one if the
    time is past the final frame)."""
    import av  # where a frame is taken, not when the URLs load (issue 22 §1)

    with av.open(src) as container:
        stream = container.streams.video[0]
        if at_seconds > 0 and stream.time_base:
            # seek lands on the key frame before; decode forward to the moment
            container.seek(int(at_seconds / stream.time_base), stream=stream, backward=True)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.time is not None and frame.time + 1e-3 >= at_seconds:
                break
        if last is None:
            raise ValueError("no video frame")
        return last.to_image()


def _write_jpeg(image, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    image.convert("RGB").save(tmp, "JPEG", quality=SNAPSHOT_JPEG_QUALITY)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)


def take(user, recording_id: int, *, at, ip: str = "") -> Derivative:
    """Save the frame at `at` seconds as a snapshot of the recording; audited."""
    recording = Recording.objects.get_visible(user, recording_id)
    if recording.purged_at is not None:
        raise NotFound("该音像记录已按保存期限清除")
    if not PLAYBACK.may_play(user, recording):
        raise Forbidden("无权播放该音像记录，不能截取画面")
    if recording.media_kind != MediaKind.VIDEO:
        raise Conflict("只能从视频中截取画面")
    seconds = seconds_of(at)
    duration = float(recording.duration_seconds or 0)
    if seconds is None or seconds < 0 or seconds > duration + 0.5:
        raise BookmarkInvalid(
            fields={"at": f"时间点应在 00:00:00 到 {clock(duration)} 之间"},
        )
    taken = recording.derivatives.filter(kind=Derivative.Kind.SNAPSHOT).count()
    if taken >= SNAPSHOTS_PER_RECORDING_MAX:
        raise Conflict(f"该音像记录的截图已达上限（{SNAPSHOTS_PER_RECORDING_MAX} 张）")
    dest = derived_path(recording, f"snapshot-{uuid.uuid4().hex}.jpg")
    try:
        with original_for_tools(recording) as src:
            image = frame_at(src, min(seconds, duration))
        _write_jpeg(image, dest)
    except Exception as exc:
        log.exception("recording %s: snapshot at %.3fs failed", recording.pk, seconds)
        dest.unlink(missing_ok=True)
        raise Conflict("无法从该文件截取画面，请稍后再试") from exc
    relative = dest.relative_to(settings.AVRECORDS_DERIVED_PATH).as_posix()
    try:
        with transaction.atomic():
            snapshot = Derivative.objects.create(
                recording=recording,
                kind=Derivative.Kind.SNAPSHOT,
                relative_path=relative,
                mime_type="image/jpeg",
                size_bytes=dest.stat().st_size,
                at_seconds=seconds,
                made_by=user,
            )
            audit.record(
                "recording.snapshot",
                actor=user,
                obj=recording,
                summary=f"截取画面 {clock(seconds)} {recording.original_name}",
                detail={"snapshot": snapshot.pk, "at": seconds, "size": image.size},
                ip=ip,
            )
    except Exception:
        dest.unlink(missing_ok=True)
        raise
    return snapshot


def listed(recording: Recording):
    return recording.derivatives.filter(kind=Derivative.Kind.SNAPSHOT).select_related("made_by")


def for_download(user, recording_id: int, snapshot_id: int, *, ip: str = "") -> tuple[Path, str]:
    """The snapshot's file and a download name, after the playback rule; the delivery is
    audited and registered in one transaction (as a thumbnail's)."""
    recording = Recording.objects.get_visible(user, recording_id)
    if recording.purged_at is not None:
        raise NotFound("该音像记录已按保存期限清除")
    try:
        grant = PLAYBACK.for_playback(user, recording)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from exc
    snapshot = listed(recording).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise NotFound("没有这张截图")
    path = Path(settings.AVRECORDS_DERIVED_PATH) / snapshot.relative_path
    if not path.exists():
        raise NotFound("截图文件已不存在")
    at = clock(snapshot.at_seconds or 0)
    with transaction.atomic():
        audit.record(
            "recording.snapshot_download",
            actor=user,
            obj=recording,
            summary=f"下载截图 {at} {recording.original_name}",
            detail={"snapshot": snapshot.pk, "at": snapshot.at_seconds},
            ip=ip,
        )
        PLAYBACK.register_playback(grant, user, recording, ip, act="下载截图")
    stem = Path(recording.original_name).stem
    return path, f"{stem}_截图_{at.replace(':', '')}.jpg"
