"""Situations recorded by hand (M5) and the approved way to shorten a retention.

Recording a situation (阻碍执法, 群体性事件, 重大案件, 有保存价值 …) on a recording, an
activity or a case only ever lengthens: anyone who may place a hold may record one. Taking
one back could shorten the date, so it is asked for (`RetentionChange`) and approved by the
profile's approver, who then sees the date before and after."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.notices.services import notify
from avrecords.policies.schema_values import FACTS
from avrecords.retention import approvals
from avrecords.retention.approvals import Refused
from avrecords.retention.models import ChangeStatus, RetentionChange, RetentionFact
from avrecords.retention.services import describe, reclassify, reclassify_activity, reclassify_case

HAND_FACTS = {
    code: label
    for code, label in FACTS.items()
    if code not in {"case", "evidence", "complaint", "petition", "reconsideration", "litigation"}
}


def record_fact(actor, *, fact: str, note: str, recording=None, activity=None, case=None, ip=""):
    if fact not in HAND_FACTS:
        raise Refused("请选择情形")
    if not note.strip():
        raise Refused("请填写说明")
    target = recording or activity or case
    if target is None:
        raise Refused("请指定音像记录、执法活动或案卷")
    if not approvals.can_place_hold(actor, target.unit):
        raise Refused("无权为该单位的音像记录登记保存情形")
    with transaction.atomic():
        row = RetentionFact.objects.create(
            fact=fact,
            note=note.strip()[:300],
            recording=recording,
            activity=activity,
            case=case,
            set_by=actor,
        )
        audit.record(
            "retention.fact",
            actor=actor,
            obj=target,
            summary=f"登记保存情形：{HAND_FACTS[fact]}（{row.note}）"[:500],
            detail={"fact": fact, "fact_id": row.pk},
            ip=ip,
        )
    why = f"登记情形 {HAND_FACTS[fact]}"
    if recording is not None:
        reclassify([recording], actor=actor, why=why)
    elif activity is not None:
        reclassify_activity(activity, actor=actor, why=why)
    else:
        reclassify_case(case, actor=actor, why=why)
    return row


def ask_to_shorten(actor, recording, *, reason: str, fact: RetentionFact | None = None, ip=""):
    """Ask that a hand-recorded situation be taken back and the date computed afresh."""
    if not reason.strip():
        raise Refused("请填写理由")
    if not approvals.can_place_hold(actor, recording.unit):
        raise Refused("无权申请变更该音像记录的保存期限")
    if fact is not None and fact.withdrawn_at is not None:
        raise Refused("该情形已撤销")
    if RetentionChange.objects.filter(recording=recording, status=ChangeStatus.PENDING).exists():
        raise Refused("该音像记录已有待批准的变更申请")
    with transaction.atomic():
        change = RetentionChange.objects.create(
            recording=recording,
            fact=fact,
            reason=reason.strip(),
            requested_by=actor,
            before=describe(getattr(recording, "retention", None))[:300],
        )
        audit.record(
            "retention.change_request",
            actor=actor,
            obj=recording,
            summary=f"申请缩短保存期限：{change.reason}"[:500],
            detail={"change": change.pk, "fact": fact.pk if fact else None},
            ip=ip,
        )
    return change


def decide_change(actor, change: RetentionChange, *, approve: bool, comment: str = "", ip=""):
    if change.status != ChangeStatus.PENDING:
        raise Refused("该申请已处理")
    recording = change.recording
    approvals.check_decider(actor, recording.unit, "approved_by", change.requested_by_id)
    with transaction.atomic():
        change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.comment = comment.strip()[:300]
        if approve and change.fact is not None:
            RetentionFact.objects.filter(pk=change.fact_id).update(
                withdrawn_at=change.decided_at, withdrawn_by=actor
            )
        change.save()
        if approve:
            rows = reclassify([recording], actor=actor, allow_shorten=True, why="批准缩短保存期限")
            change.after = describe(rows[0] if rows else None)[:300]
            change.save(update_fields=["after"])
        audit.record(
            "retention.change_approve" if approve else "retention.change_reject",
            actor=actor,
            obj=recording,
            summary=(f"批准缩短保存期限：{change.after}" if approve else "不同意缩短保存期限")[
                :500
            ],
            detail={"change": change.pk, "before": change.before, "after": change.after},
            ip=ip,
        )
        notify(
            change.requested_by,
            f"您申请缩短保存期限（{recording.original_name}）"
            + ("已批准" if approve else "未获批准"),
            change.comment or (change.after if approve else ""),
            reverse("recordings:detail", args=[recording.pk]),
            "retention.change_" + ("approved" if approve else "rejected"),
        )
    return change
