"""Accountability (S5): a confirmed violation ends in a decision from the unit profile's list
(`supervision.decisions`: criticism and education, written self-examination, notice of
criticism, suspension from enforcement, no awards this year, administrative sanction — each
with its article, 001§28, 003§18), proposed by a supervisor with a reason and approved or
rejected by the leader (分管领导; the profile's `supervision.decisions_approved_by`, asked of
the approvals engine) with a comment.

A violation has at most one decision pending or approved; after a rejection another may be
proposed. Nobody decides about himself, and the leader never approves his own proposal.
An approved decision that suspends starts on the approval day (`suspensions.until`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.notices.services import notify
from avrecords.org.scope import in_unit_scope
from avrecords.policies import approvals
from avrecords.policies.services import profile_for_unit
from avrecords.supervision import suspensions
from avrecords.supervision.models import (
    Accountability,
    DecisionStatus,
    ViolationCandidate,
    ViolationStatus,
)
from avrecords.supervision.violations import Incomplete, Refused, can_enter

STANDING = (DecisionStatus.PENDING, DecisionStatus.APPROVED)


def choices(unit) -> list:
    """The profile's decisions (`policies.schema.Decision`) for the violation's unit."""
    profile = profile_for_unit(unit)
    return list(profile.supervision.decisions) if profile else []


def proposer_refusal(user, violation: ViolationCandidate) -> str:
    """Why the user may not propose a decision on the violation ("" when he may)."""
    if not can_enter(user):
        return "无权提出处理意见：须由监督人员办理"
    if not in_unit_scope(user, violation.unit):
        return "无权提出处理意见：该违规不在您的监督范围内"
    if violation.person_id is not None and violation.person_id == user.pk:
        return "无权对本人的违规提出处理意见"
    return ""


def approval_step(decision: Accountability) -> approvals.Step:
    """Approving or rejecting the decision, as the approvals engine sees it (the profile's
    `supervision.decisions_approved_by`, rules `deciding.accountability`): the proposer asked
    for it, the person is the one it is about."""
    return approvals.Step(
        unit=decision.violation.unit,
        decision="accountability.approve",
        requester_id=decision.proposed_by_id,
        concerned_id=decision.person_id,
    )


def approver_refusal(user, decision: Accountability) -> str:
    """Why the user may not approve or reject the decision ("" when he may)."""
    if not user.is_authenticated:
        return "无权审批处理决定：须由分管领导办理"
    return approvals.why_not(user, approval_step(decision)) or ""


def standing(violation: ViolationCandidate) -> Accountability | None:
    """The violation's decision pending or approved, if any."""
    return violation.decisions.filter(status__in=STANDING).order_by("-pk").first()


def can_propose(user, violation: ViolationCandidate) -> bool:
    """Whether the page offers the proposal form (the service checks it all again)."""
    return (
        not proposer_refusal(user, violation)
        and violation.status == ViolationStatus.CONFIRMED
        and violation.person_id is not None
        and standing(violation) is None
    )


def propose(
    actor, violation: ViolationCandidate, *, decision: str, reason: str, ip: str = ""
) -> Accountability:
    """A supervisor proposes one of the profile's decisions on a confirmed violation."""
    if refusal := proposer_refusal(actor, violation):
        raise Refused(refusal)
    if violation.person_id is None:
        raise Refused("该违规未确定责任人，不能提出处理意见")
    options = choices(violation.unit)
    if not options:
        raise Refused(f"{violation.unit.name} 尚未指定执法策略，无处理方式可选，请联系系统管理员")
    errors = []
    chosen = next((d for d in options if d.code == decision), None)
    if chosen is None:
        errors.append("请从规定的处理方式中选择：" + "、".join(d.name for d in options))
    if not reason.strip():
        errors.append("请填写处理理由")
    if errors:
        raise Incomplete(errors)
    with transaction.atomic():
        locked = ViolationCandidate.objects.select_for_update().get(pk=violation.pk)
        if locked.status != ViolationStatus.CONFIRMED:
            raise Refused(f"该违规线索{locked.get_status_display()}，只有已认定的违规才能处理")
        if (existing := standing(locked)) is not None:
            raise Refused(
                f"该违规已有{existing.get_status_display()}的处理决定（{existing.decision_name}），"
                "不能重复提出"
            )
        made = Accountability.objects.create(
            violation=locked,
            person_id=locked.person_id,
            decision=chosen.code,
            decision_name=chosen.name,
            cite=chosen.cite,
            suspend_months=chosen.suspend_months,
            reason=reason.strip(),
            proposed_by=actor,
        )
        audit.record(
            "accountability.propose",
            actor=actor,
            obj=made,
            summary=f"提出处理意见：{made.person.display_name} {made.decision_name}"
            f"（{made.cite or '规定未列明条款'}）理由：{made.reason}",
            detail={"violation": locked.pk, "decision": made.decision, "person": made.person_id},
            ip=ip,
        )
    return made


def _decide(actor, decision: Accountability, approve: bool, comment: str, ip: str):
    if refusal := approver_refusal(actor, decision):
        raise Refused(refusal)
    if not approve and not comment.strip():
        raise Incomplete("请填写不批准的意见")
    with transaction.atomic():
        locked = Accountability.objects.select_for_update().get(pk=decision.pk)
        if locked.status != DecisionStatus.PENDING:
            raise Refused(f"该处理决定{locked.get_status_display()}，不能再次审批")
        locked.status = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.comment = comment.strip()[:300]
        text = f"{locked.person.display_name} {locked.decision_name}"
        if approve and locked.suspend_months:
            suspensions.impose(locked)  # the person's org.Suspension, from today
            text += f"，停止执法工作 {locked.suspended_from:%Y-%m-%d} 至 {locked.suspended_until:%Y-%m-%d}"
        locked.save()
        audit.record(
            "accountability.approve" if approve else "accountability.reject",
            actor=actor,
            obj=locked,
            summary=("批准处理决定：" if approve else "不批准处理意见：")
            + text
            + (f"。意见：{locked.comment}" if locked.comment else ""),
            detail={
                "violation": locked.violation_id,
                "person": locked.person_id,
                "suspended_from": str(locked.suspended_from or ""),
                "suspended_until": str(locked.suspended_until or ""),
            },
            ip=ip,
        )
        if approve:
            notify(
                locked.person,
                f"对您的处理决定已批准：{text}",
                f"依据：{locked.cite}" if locked.cite else "",
                "",  # the register is not the subject's to read (violations.can_read)
                "accountability.approved",
            )
    return locked


def approve(actor, decision: Accountability, *, comment: str = "", ip: str = "") -> Accountability:
    """The leader approves; a suspending decision starts today (see `suspensions`)."""
    return _decide(actor, decision, True, comment, ip)


def reject(actor, decision: Accountability, *, comment: str, ip: str = "") -> Accountability:
    """The leader does not approve, saying why; another decision may then be proposed."""
    return _decide(actor, decision, False, comment, ip)
