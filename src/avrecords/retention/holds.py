"""Legal holds (S1, M5): a complaint, petition, reconsideration or litigation preserves the
recordings of an activity or a case and gathers them; while in force no date runs out, nothing
is purged, and the store holds the originals too. Releasing a hold is asked for with a reason
and approved by the profile's approver; the days held are added to each dated recording's
keep-until date (the clock stopped)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.compliance.models import ActivityRecording
from avrecords.notices.services import notify
from avrecords.recordings.models import Recording
from avrecords.retention import approvals
from avrecords.retention.approvals import Refused, RefusedInput
from avrecords.retention.models import HoldKind, HoldStatus, LegalHold, RecordingRetention
from avrecords.retention.services import ACTIVE_HOLDS, local_day, reclassify


def _number() -> str:
    today = timezone.localdate()
    prefix = f"BQ-{today:%Y%m%d}-"
    count = LegalHold.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def gathered(hold: LegalHold) -> list[int]:
    """The recordings a hold covers now: its activity's, its case's and its case's activities'."""
    ids: set[int] = set(hold.recordings.values_list("pk", flat=True))
    if hold.activity_id:
        ids |= set(
            ActivityRecording.objects.filter(
                activity_id=hold.activity_id, excluded=False
            ).values_list("recording_id", flat=True)
        )
    if hold.case_id:
        ids |= set(Recording.objects.filter(case_id=hold.case_id).values_list("pk", flat=True))
        ids |= set(
            ActivityRecording.objects.filter(
                activity__case_id=hold.case_id, excluded=False
            ).values_list("recording_id", flat=True)
        )
    return sorted(ids)


def place(
    actor, *, kind: str, reason: str, activity=None, case=None, reference: str = "", ip: str = ""
) -> LegalHold:
    errors = []
    if kind not in HoldKind.values:
        errors.append("请选择保全事由类型（投诉、信访、行政复议或行政诉讼）")
    if not reason.strip():
        errors.append("请填写保全事由")
    if activity is None and case is None:
        errors.append("请指定执法活动或案卷")
    if errors:
        raise RefusedInput(errors)
    unit = case.unit if case is not None else activity.unit
    if not approvals.can_place_hold(actor, unit):
        # refused like the form's input (422), as the API always answered it
        raise RefusedInput(["无权对该单位的音像记录采取法律保全"])
    with transaction.atomic():
        hold = LegalHold.objects.create(
            number=_number(),
            kind=kind,
            unit=unit,
            activity=activity,
            case=case,
            reference=reference.strip()[:100],
            reason=reason.strip(),
            placed_by=actor,
        )
        ids = gathered(hold)
        hold.recordings.set(ids)
        audit.record(
            "retention.hold",
            actor=actor,
            obj=hold,
            summary=f"法律保全 {hold.number}（{hold.get_kind_display()}）：{len(ids)} 条音像记录",
            detail={"recordings": ids, "reason": hold.reason},
            ip=ip,
        )
    reclassify(ids, actor=actor, why=f"法律保全 {hold.number}")
    return hold


def request_release(actor, hold: LegalHold, reason: str, *, ip: str = "") -> LegalHold:
    if hold.status != HoldStatus.ACTIVE:
        raise Refused(f"该保全当前状态为“{hold.get_status_display()}”，不能申请解除")
    if not reason.strip():
        raise Refused("请填写解除理由（如投诉已办结、诉讼已终结）")
    if not approvals.can_place_hold(actor, hold.unit):
        raise Refused("无权申请解除该保全")
    with transaction.atomic():
        hold.status = HoldStatus.RELEASE_PENDING
        hold.release_reason = reason.strip()
        hold.release_requested_by = actor
        hold.release_requested_at = timezone.now()
        hold.save()
        audit.record(
            "retention.hold_release_request",
            actor=actor,
            obj=hold,
            summary=f"申请解除法律保全 {hold.number}：{hold.release_reason}"[:500],
            ip=ip,
        )
    return hold


def _held_days(hold: LegalHold, until: dt.datetime) -> int:
    """Calendar days the hold stood (at least one: the day it was placed counts)."""
    return max(1, (local_day(until) - local_day(hold.placed_at)).days)


def approve_release(actor, hold: LegalHold, *, ip: str = "") -> LegalHold:
    if hold.status != HoldStatus.RELEASE_PENDING:
        raise Refused("该保全没有待批准的解除申请")
    approvals.check_decider(actor, hold.unit, "approved_by", hold.release_requested_by_id)
    now = timezone.now()
    ids = gathered(hold)
    with transaction.atomic():
        hold.status = HoldStatus.RELEASED
        hold.released_by = actor
        hold.released_at = now
        hold.save()
        hold.recordings.add(*ids)
        days = _held_days(hold, now)
        for row in RecordingRetention.objects.select_for_update().filter(recording_id__in=ids):
            others = LegalHold.objects.filter(recordings=row.recording_id, status__in=ACTIVE_HOLDS)
            if not others.exclude(pk=hold.pk).exists():
                row.held_days += days
                row.save(update_fields=["held_days"])
        audit.record(
            "retention.hold_release",
            actor=actor,
            obj=hold,
            summary=f"批准解除法律保全 {hold.number}（保全 {days} 天）",
            detail={"recordings": ids, "days": days},
            ip=ip,
        )
        _tell_requester(hold, True, "")
    reclassify(ids, actor=actor, why=f"解除法律保全 {hold.number}")
    return hold


def reject_release(actor, hold: LegalHold, comment: str, *, ip: str = "") -> LegalHold:
    if hold.status != HoldStatus.RELEASE_PENDING:
        raise Refused("该保全没有待批准的解除申请")
    approvals.check_decider(actor, hold.unit, "approved_by", hold.release_requested_by_id)
    with transaction.atomic():
        hold.status = HoldStatus.ACTIVE
        hold.save()
        audit.record(
            "retention.hold_release_reject",
            actor=actor,
            obj=hold,
            summary=f"不同意解除法律保全 {hold.number}：{comment}"[:500],
            ip=ip,
        )
        _tell_requester(hold, False, comment)
    return hold


def _tell_requester(hold: LegalHold, approved: bool, comment: str) -> None:
    """站内消息 to whoever asked to release the hold (issue 17 §3)."""
    notify(
        hold.release_requested_by,
        f"您申请解除法律保全 {hold.number}" + ("已批准" if approved else "未获批准"),
        comment.strip(),
        reverse("retention:hold", args=[hold.pk]),
        "retention.release_" + ("approved" if approved else "rejected"),
    )
