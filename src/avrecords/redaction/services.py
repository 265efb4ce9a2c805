"""Every change to a redacted copy (issue 21; 000§19, 001§25, 003§14, 004§21; M2, M3, M8).

request → the job ``redaction.detect`` finds faces and text and stores one track per thing
(state 待复核) → the reviewer hides or keeps each track, draws boxes (tracked forward) →
``rerender`` queues ``redaction.render``, which writes the derived copy (state 已生成待确认) →
the reviewer plays it and signs it off (已确认可提供). Any change after a copy was made sends
the copy back to review: what is signed off is always the output of the current settings.
The copy leaves the system only through an executed request of the kind 提供脱敏副本
(access), or plays for its reviewers before sign-off; each delivery of its bytes is audited.

Who may act is `who.why_not` (one rule). Each step is audited in its own transaction.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.jobs.services import enqueue
from avrecords.lib.quantities import clock
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound
from avrecords.recordings.jobs import original_for_tools
from avrecords.recordings.models import Recording
from avrecords.redaction import validation, words
from avrecords.redaction.models import (
    FINISHED_STATES,
    Redaction,
    RedactionTrack,
    State,
)
from avrecords.redaction.who import may_request, may_review, why_not  # noqa: F401 (the rule)

DETECT_JOB = "redaction.detect"
RENDER_JOB = "redaction.render"
EDITABLE = (State.REVIEW, State.READY)
FOLLOW_SECONDS = 10.0
NOT_RELEASED = "脱敏副本须经批准的“提供脱敏副本”申请，办理后在有效期内方可下载"


def _allowed(actor, recording: Recording) -> None:
    """NotFound where the person does not see the recording, Forbidden where he may not act."""
    if not Recording.objects.visible_to(actor).filter(pk=recording.pk).exists():
        raise NotFound()
    reason = why_not(actor, recording)
    if reason:
        raise Forbidden(reason)


def _reviewer(actor, redaction: Redaction) -> None:
    if not Redaction.objects.visible_to(actor).filter(pk=redaction.pk).exists():
        raise NotFound()
    reason = why_not(actor, redaction.recording)
    if reason:
        raise Forbidden(reason)


def _locked(redaction: Redaction) -> Redaction:
    return Redaction.objects.select_for_update().select_related("recording").get(pk=redaction.pk)


def _in_state(redaction: Redaction, states, doing: str) -> None:
    if redaction.state not in states:
        raise Conflict(f"脱敏副本当前状态为“{redaction.get_state_display()}”，不能{doing}")


def request(
    actor,
    recording: Recording,
    *,
    targets,
    style: str,
    audio_ranges=(),
    start_seconds=0.0,
    end_seconds=None,
    purpose: str = "",
) -> Redaction:
    """Ask for a redacted copy; the detection job is queued. Invalid (Chinese, by field) and
    nothing stored when the request cannot be made as asked."""
    _allowed(actor, recording)
    asked = validation.check(
        recording,
        targets=targets,
        style=style,
        audio_ranges=audio_ranges,
        start_seconds=start_seconds,
        end_seconds=end_seconds,
        purpose=purpose,
    )
    with transaction.atomic():
        redaction = Redaction.objects.create(
            recording=recording,
            requested_by=actor,
            purpose=asked.purpose,
            targets=asked.targets,
            style=asked.style,
            audio_ranges=asked.audio_ranges,
            start_seconds=asked.start_seconds,
            end_seconds=asked.end_seconds,
            original_sha256=recording.sha256,
            state=State.QUEUED,
        )
        enqueue(DETECT_JOB, "redaction", redaction.pk)
        record(
            "redaction.request",
            actor=actor,
            obj=redaction,
            summary=f"申请脱敏副本：{recording.original_name}（{words.summary(redaction)}）",
            detail={
                "recording": recording.pk,
                "original_sha256": recording.sha256,
                **_asked(redaction),
            },
        )
    return redaction


def _asked(redaction: Redaction) -> dict:
    return {
        "purpose": redaction.purpose,
        "targets": redaction.targets,
        "style": redaction.style,
        "audio_ranges": redaction.audio_ranges,
        "start_seconds": redaction.start_seconds,
        "end_seconds": redaction.end_seconds,
    }


def _back_to_review(redaction: Redaction) -> dict:
    """A change after a copy was made: the copy no longer matches what is to be hidden."""
    if redaction.state == State.READY:
        return {"state": State.REVIEW, "message": "遮盖内容已修改，请重新生成"}
    return {}


def set_hidden(actor, track: RedactionTrack, hide: bool) -> RedactionTrack:
    """Hide (遮盖) or keep (不遮盖) one tracked thing."""
    _reviewer(actor, track.redaction)
    with transaction.atomic():
        redaction = _locked(track.redaction)
        _in_state(redaction, EDITABLE, "修改遮盖内容")
        track = RedactionTrack.objects.select_for_update().get(pk=track.pk)
        if track.hide == bool(hide):
            return track
        track.hide = bool(hide)
        track.save(update_fields=["hide"])
        Redaction.objects.filter(pk=redaction.pk).update(**_back_to_review(redaction))
        record(
            "redaction.hide_track" if hide else "redaction.show_track",
            actor=actor,
            obj=redaction,
            summary=f"{'遮盖' if hide else '不遮盖'}：{track.label}",
            detail={"track": track.pk, "kind": track.kind, "hide": track.hide},
        )
    return track


def _box(t, box, redaction: Redaction) -> tuple[float, tuple[float, float, float, float]]:
    try:
        t = float(t)
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise Invalid("遮盖框无效，请在画面上重新拖动选择") from None
    values = (t, x, y, w, h)
    if not all(math.isfinite(v) for v in values):
        raise Invalid("遮盖框无效，请在画面上重新拖动选择")
    x, y = max(0.0, x), max(0.0, y)
    w, h = min(w, 1.0 - x), min(h, 1.0 - y)
    if w <= 0.005 or h <= 0.005:
        raise Invalid("遮盖框太小，请在画面上拖出需要遮盖的区域")
    if t < redaction.start_seconds - 0.05 or t > redaction.segment_end + 0.05:
        raise Invalid("该时间点不在所选时间段内")
    return t, (x, y, w, h)


def add_box(actor, redaction: Redaction, *, t: float, box) -> RedactionTrack:
    """A box a reviewer drew on a paused frame (fractions of the frame), tracked forward from
    there (`lib.redaction.follow`) and hidden."""
    from avrecords.lib.redaction.errors import RedactionError
    from avrecords.lib.redaction.follow import follow

    _reviewer(actor, redaction)
    _in_state(redaction, EDITABLE, "添加遮盖框")
    t, box = _box(t, box, redaction)
    seconds = max(0.0, min(FOLLOW_SECONDS, redaction.segment_end - t))
    try:
        with original_for_tools(redaction.recording) as source:
            followed = follow(source, t=t, box=box, seconds=seconds)
        boxes = [[b.t, b.x, b.y, b.w, b.h] for b in followed.boxes] or [[t, *box]]
    except RedactionError as exc:
        raise Invalid(str(exc)) from None
    with transaction.atomic():
        redaction = _locked(redaction)
        _in_state(redaction, EDITABLE, "添加遮盖框")
        manual = redaction.tracks.filter(kind="manual").count() + 1
        track = RedactionTrack.objects.create(
            redaction=redaction,
            kind="manual",
            label=f"手动遮盖 {manual}",
            hide=True,
            boxes=boxes,
            added_by=actor,
        )
        Redaction.objects.filter(pk=redaction.pk).update(**_back_to_review(redaction))
        record(
            "redaction.add_box",
            actor=actor,
            obj=redaction,
            summary=f"添加遮盖框：{clock(t)} 起，跟踪 {len(boxes)} 个关键帧",
            detail={"track": track.pk, "t": t, "box": list(box), "keyframes": len(boxes)},
        )
    return track


def rerender(actor, redaction: Redaction) -> Redaction:
    """Make the copy (again) from the tracks as they are now: queues ``redaction.render``."""
    _reviewer(actor, redaction)
    with transaction.atomic():
        redaction = _locked(redaction)
        _in_state(redaction, EDITABLE, "生成副本")
        redaction.state, redaction.progress, redaction.eta_seconds = State.RENDERING, 0.0, None
        redaction.message = ""
        redaction.save(update_fields=["state", "progress", "eta_seconds", "message"])
        enqueue(RENDER_JOB, "redaction", redaction.pk)
        hidden = redaction.tracks.filter(hide=True).count()
        record(
            "redaction.rerender",
            actor=actor,
            obj=redaction,
            summary=f"生成脱敏副本：遮盖 {hidden} 个目标",
            detail={"hidden_tracks": hidden, "renders_before": redaction.renders},
        )
    return redaction


def cancel(actor, redaction: Redaction) -> Redaction:
    """Stop the copy: a running job stops and removes what it was writing; a copy already
    made is deleted (nothing half-done stays)."""
    _reviewer(actor, redaction)
    with transaction.atomic():
        redaction = _locked(redaction)
        _in_state(
            redaction,
            [s for s in State.values if s not in FINISHED_STATES],
            "取消",
        )
        was = redaction.state
        old_output = redaction.output_path
        Redaction.objects.filter(pk=redaction.pk).update(
            state=State.CANCELLED, message="已取消", eta_seconds=None, output_path=""
        )
        record(
            "redaction.cancel",
            actor=actor,
            obj=redaction,
            summary=f"取消脱敏副本（原状态：{State(was).label}）",
            detail={"state_before": was, "output_removed": old_output},
        )
        if old_output:
            transaction.on_commit(lambda: remove_output(old_output))
    redaction.refresh_from_db()
    return redaction


def sign_off(actor, redaction: Redaction) -> Redaction:
    """Confirm the copy may be provided (确认可提供): only a copy made from the current
    settings (state 已生成待确认), whose file is still the one made."""
    _reviewer(actor, redaction)
    with transaction.atomic():
        redaction = _locked(redaction)
        _in_state(redaction, (State.READY,), "确认")
        path = output_file(redaction)
        if path is None or file_sha256(path) != redaction.output_sha256:
            raise Conflict("副本文件与生成时不一致，请重新生成后再确认")
        now = timezone.now()
        Redaction.objects.filter(pk=redaction.pk).update(
            state=State.SIGNED_OFF, signed_off_by=actor, signed_off_at=now, message=""
        )
        record(
            "redaction.sign_off",
            actor=actor,
            obj=redaction,
            summary=f"确认脱敏副本可提供（SHA-256 {redaction.output_sha256[:16]}…）",
            detail={
                "output_sha256": redaction.output_sha256,
                "original_sha256": redaction.original_sha256,
                "settings": redaction.settings,
                "model_versions": redaction.model_versions,
            },
        )
    redaction.refresh_from_db()
    return redaction


# --- the copy's file -------------------------------------------------------------------------


def output_root() -> Path:
    return Path(settings.AVRECORDS_DERIVED_PATH)


def output_file(redaction: Redaction) -> Path | None:
    if not redaction.output_path:
        return None
    path = output_root() / redaction.output_path
    return path if path.is_file() else None


def remove_output(relative: str) -> None:
    if relative:
        (output_root() / relative).unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _release_ok(actor, redaction: Redaction, grant) -> bool:
    """The grant is an executed 提供脱敏副本 request of this person, live, carrying the copy.
    (access checks it first; this is the copy's own last word.)"""
    if getattr(grant, "kind", None) != "redacted" or getattr(grant, "status", None) != "active":
        return False
    if grant.requester_id != actor.pk:
        return False
    until = getattr(grant, "valid_until", None)
    if until is not None and until <= timezone.now():
        return False
    carried = getattr(grant, "redactions", None)
    if carried is not None and hasattr(carried, "filter"):
        return carried.filter(pk=redaction.pk).exists()
    return getattr(grant, "redaction_id", None) == redaction.pk


def open_copy(
    actor, redaction: Redaction, *, ip: str = "", request=None, audit: bool = True
) -> BinaryIO:
    """The copy's bytes, opened for reading, each delivery audited (M3, M8).

    With `request` (an executed 提供脱敏副本 request of the actor, live, carrying the copy, as
    access hands it): the signed-off copy, for the person it was provided to. Without one: its
    reviewers, to play it before and after sign-off; nobody else."""
    if request is not None:
        if redaction.state != State.SIGNED_OFF or not _release_ok(actor, redaction, request):
            raise Forbidden(NOT_RELEASED)
        how = "提供"
    else:
        _reviewer(actor, redaction)
        if redaction.state not in (State.READY, State.SIGNED_OFF):
            raise Conflict(f"脱敏副本当前状态为“{redaction.get_state_display()}”，没有可播放的副本")
        how = "复核播放"
    path = output_file(redaction)
    if path is None:
        if redaction.recording.purged_at is not None:
            raise Conflict("原始记录已按保存期限清除，副本文件一并删除")
        raise Conflict("副本文件不存在，请重新生成")
    handle = path.open("rb")
    if not audit:  # a seek within a playback already audited (the player's first request)
        return handle
    record(
        "redaction.deliver",
        actor=actor,
        obj=redaction,
        summary=f"{how}脱敏副本：{redaction.recording.original_name}",
        detail={
            "request": getattr(request, "pk", None),
            "output_sha256": redaction.output_sha256,
            "size_bytes": redaction.output_size,
            "how": "release" if request is not None else "review",
        },
        ip=ip or "",
    )
    return handle


# --- what the pages show ---------------------------------------------------------------------


def tracks_json(redaction: Redaction) -> dict:
    """The review page's overlay: every track with its keyframes (fractions of the frame)."""
    return {
        "id": redaction.pk,
        "state": redaction.state,
        "start": redaction.start_seconds,
        "end": redaction.segment_end,
        "duration": redaction.recording.duration_seconds,
        "style": redaction.style,
        "tracks": [
            {
                "id": track.pk,
                "kind": track.kind,
                "label": track.label,
                "hide": track.hide,
                "manual": track.added_by_id is not None,
                "start": track.start_seconds,
                "end": track.end_seconds,
                "boxes": track.boxes,
            }
            for track in redaction.tracks.order_by("pk")
        ],
    }


def lineage_of(recording: Recording) -> list[Redaction]:
    """The recording's redacted copies, newest first (the recording page's lineage panel)."""
    return list(
        Redaction.objects.filter(recording=recording)
        .select_related("requested_by", "signed_off_by")
        .order_by("-created_at", "-pk")
    )


def purge_copies(recording: Recording) -> list[dict]:
    """The original is being destroyed at the end of its retention (M5): its redacted copies
    held here go with it, and their boxes (where people's faces were) too. Copies already
    handed out are the register's record; the rows stay, marked, so the lineage still says
    what was made and given. Returns what was removed, for the destruction record."""
    removed = []
    for redaction in Redaction.objects.filter(recording=recording).order_by("pk"):
        if redaction.output_path:
            remove_output(redaction.output_path)
            removed.append(
                {
                    "kind": "redacted_copy",
                    "path": redaction.output_path,
                    "size": redaction.output_size,
                    "sha256": redaction.output_sha256,
                }
            )
        redaction.tracks.all().delete()
        state = redaction.state if redaction.state in FINISHED_STATES else State.CANCELLED
        Redaction.objects.filter(pk=redaction.pk).update(
            state=state,
            output_path="",
            eta_seconds=None,
            message="原始记录已按保存期限清除，副本文件一并删除",
        )
    return removed


def settle_if_abandoned(redaction: Redaction) -> Redaction:
    """A copy whose job the worker gave up on (the reaper failed it after its last attempt:
    the worker kept dying) would wait forever in 识别中 or 生成中. Seen when the copy is
    looked at: a render goes back to 待复核 (its boxes are kept, so it can be made again); a
    detection ends 失败, to be cancelled and asked again."""
    from avrecords.jobs.models import Job, JobState

    if redaction.state not in (State.DETECTING, State.RENDERING, State.QUEUED):
        return redaction
    kind = DETECT_JOB if redaction.state != State.RENDERING else RENDER_JOB
    last = (
        Job.objects.filter(kind=kind, subject_type="redaction", subject_id=str(redaction.pk))
        .order_by("-pk")
        .first()
    )
    if last is None or last.state != JobState.FAILED:
        return redaction
    if redaction.state == State.RENDERING:
        state, message = State.REVIEW, "生成副本时后台处理多次中断，未能完成，请重新生成"
    else:
        state, message = State.FAILED, "识别时后台处理多次中断，未能完成，请取消后重新申请"
    with transaction.atomic():
        changed = Redaction.objects.filter(pk=redaction.pk, state=redaction.state).update(
            state=state, message=message, eta_seconds=None
        )
        if changed:
            record(
                "redaction.abandoned",
                actor=None,
                obj=redaction,
                summary=message,
                detail={"job": last.pk, "state_before": redaction.state, "error": last.error[:300]},
            )
    redaction.refresh_from_db()
    return redaction
