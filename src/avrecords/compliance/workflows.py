"""People's steps on findings: explaining an interruption (U3), exemptions (U4), escalation.

- The officer explains a gap or an uncovered stretch with a reason from the profile and a
  written account; the unit head (the profile's `interruptions.acknowledged_by`) acknowledges
  it and the finding is resolved.
- The officer submits a written work record for an activity done without recording
  (reason, legal basis); the profile's `exemptions.approved_by` approves (the missing-
  recording finding is closed) or rejects it.
- Unexplained past the profile's window, a finding is escalated: supervision hears of it
  (`events.FINDING_ESCALATED`) and makes it a violation candidate.

Every step is audited. Who may act is checked here, not only in the views.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from avrecords import events
from avrecords.audit.services import record
from avrecords.compliance.engine import EXPLAINABLE, evaluate_activity
from avrecords.compliance.models import (
    Activity,
    Decision,
    Exemption,
    Explanation,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.lib.refusals import Conflict, Forbidden
from avrecords.notices.services import notify
from avrecords.org.models import User
from avrecords.policies import approvals, citations
from avrecords.policies.services import profile_for_unit


class StepRefused(Conflict, ValueError):
    """A step that cannot be taken now (409: wrong state; also a missing reason or choice);
    a Chinese message. The pages show it and stay where they were."""


# Who decides is the approvals engine's answer (`policies.approvals`): the role the profile
# names over the unit (`interruptions.acknowledged_by`, `exemptions.approved_by`,
# `ingest.extension.consent_by`), the leader above a unit head, a system administrator
# (rules `deciding.interruption`, `.exemption`, `.extension`), never about or for oneself.


def acknowledge_step(finding: Finding) -> approvals.Step:
    """Acknowledging the explanation: written by the officer (or his successor, E5)."""
    return approvals.Step(
        unit=finding.unit,
        decision="interruption.acknowledge",
        requester_id=finding.handled_by_id or finding.officer_id,
        concerned_id=finding.officer_id,
    )


def exemption_step(exemption: Exemption) -> approvals.Step:
    return approvals.Step(
        unit=exemption.activity.unit,
        decision="exemption.approve",
        requester_id=exemption.submitted_by_id,
    )


def extension_step(activity: Activity) -> approvals.Step:
    """Consenting to the longer deadline: never by one of the activity's own officers, whose
    deadline it is (issue 23: a unit head on the inspection consented for himself)."""
    return approvals.Step(
        unit=activity.unit,
        decision="extension.consent",
        concerned=frozenset(activity.officers.values_list("pk", flat=True)),
    )


def may_acknowledge(user, finding: Finding) -> bool:
    return approvals.may_decide(user, acknowledge_step(finding))


def may_decide_exemption(user, exemption: Exemption) -> bool:
    return approvals.may_decide(user, exemption_step(exemption))


def may_extend(user, activity: Activity) -> bool:
    return approvals.may_decide(user, extension_step(activity))


def _check(actor, step: approvals.Step) -> None:
    """403 for a person whose role or scope gives him no part in the step; a Chinese
    message for one who has, but not on this item (his own request, about himself)."""
    if why := approvals.why_not(actor, step):
        if why.standing:
            raise Forbidden()
        raise StepRefused(why)


def may_explain(user, finding: Finding) -> bool:
    """Whether `explain` would take this person's explanation of the finding now (U3, E5)."""
    return (
        (finding.handled_by_id or finding.officer_id) == user.pk
        and finding.kind in (FindingKind.GAP, FindingKind.UNCOVERED)
        and finding.status in (FindingStatus.OPEN, FindingStatus.ESCALATED)
        and getattr(finding, "explanation", None) is None
    )


@transaction.atomic
def explain(actor, finding: Finding, reason: str, text: str) -> Explanation:
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if (finding.handled_by_id or finding.officer_id) != actor.pk:  # E5: a successor answers
        raise Forbidden()
    if finding.kind not in (FindingKind.GAP, FindingKind.UNCOVERED):
        raise StepRefused("只有记录中断或未全程记录的问题需要说明中断原因")
    if finding.status not in (FindingStatus.OPEN, FindingStatus.ESCALATED):
        raise StepRefused(f"该问题当前状态为“{finding.get_status_display()}”，不能再次说明")
    profile = profile_for_unit(finding.unit)
    choice = next((r for r in profile.interruptions.reasons if r.code == reason), None)
    if choice is None:
        raise StepRefused("请选择策略规定的中断原因")
    if len(text.strip()) < 5:
        raise StepRefused("请填写书面说明（至少 5 个字）")
    explanation = Explanation.objects.create(
        finding=finding,
        reason=choice.code,
        reason_name=choice.name,
        text=text.strip(),
        explained_by=actor,
    )
    if finding.status == FindingStatus.OPEN:
        Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.EXPLAINED)
    record(
        "finding.explain",
        actor=actor,
        obj=finding,
        summary=f"说明中断原因：{choice.name}",
        detail={
            "reason": choice.code,
            "text": text.strip()[:500],
            "cite": profile.interruptions.cite,
        },
    )
    return explanation


@transaction.atomic
def acknowledge(actor, finding: Finding) -> None:
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    _check(actor, acknowledge_step(finding))
    if finding.kind == FindingKind.NO_NOTICE:  # U5: reviewed by compliance.notice_answers
        raise StepRefused("告知检查的说明请在问题页面确认或不予认定")
    if finding.status != FindingStatus.EXPLAINED:
        raise StepRefused("只有已说明的中断可以确认")
    now = timezone.now()
    Explanation.objects.filter(finding=finding).update(acknowledged_by=actor, acknowledged_at=now)
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.RESOLVED, closed_at=now)
    record(
        "finding.acknowledge", actor=actor, obj=finding, summary=f"确认中断说明：{finding.summary}"
    )
    explained_by = Explanation.objects.filter(finding=finding).values_list(
        "explained_by", flat=True
    )
    for person in {finding.officer_id, *explained_by} - {None}:
        notify(
            User(pk=person),
            f"您的中断说明已确认：{finding.summary}",
            f"{actor.display_name} 于 {timezone.localtime(now):%Y-%m-%d %H:%M} 确认",
            _activity_url(finding.activity_id),
            "finding.acknowledged",
        )


def exemption_grounds(profile) -> list[dict]:
    """The grounds an officer may choose, each with the legal basis it will be stored with."""
    if profile is None:
        return []
    return [
        {"code": g.code, "name": g.name, "basis": citations.legal_basis(profile, g.cite)}
        for g in profile.exemptions.grounds
    ]


@transaction.atomic
def submit_exemption(actor, activity: Activity, ground: str, reason: str) -> Exemption:
    """The officer's work record (U4): he states the facts; the legal basis is the chosen
    ground's article in the profile's regulation, never typed."""
    if not activity.officers.filter(pk=actor.pk).exists():
        raise Forbidden()
    profile = profile_for_unit(activity.unit)
    choice = next((g for g in profile.exemptions.grounds if g.code == ground), None)
    if choice is None:
        raise StepRefused("请选择策略规定的免予记录情形")
    if len(reason.strip()) < 5:
        raise StepRefused("请写明无法记录的原因（至少 5 个字）")
    if activity.exemptions.filter(decision=Decision.PENDING).exists():
        raise StepRefused("该活动已有待审批的免予记录申请")
    exemption = Exemption.objects.create(
        activity=activity,
        ground=choice.code,
        ground_name=choice.name,
        reason=reason.strip(),
        legal_basis=citations.legal_basis(profile, choice.cite)[:300],
        submitted_by=actor,
    )
    record(
        "exemption.submit",
        actor=actor,
        obj=activity,
        summary=f"申请免予记录：{choice.name}",
        detail={"exemption": exemption.pk, "ground": choice.code, "cite": choice.cite},
    )
    return exemption


@transaction.atomic
def decide_exemption(actor, exemption: Exemption, approve: bool, note: str = "") -> None:
    exemption = Exemption.objects.select_for_update().get(pk=exemption.pk)
    activity = exemption.activity
    _check(actor, exemption_step(exemption))
    if exemption.decision != Decision.PENDING:
        raise StepRefused("该申请已审批")
    exemption.decision = Decision.APPROVED if approve else Decision.REJECTED
    exemption.decided_by, exemption.decided_at = actor, timezone.now()
    exemption.decision_note = note.strip()[:300]
    exemption.save()
    record(
        "exemption.approve" if approve else "exemption.reject",
        actor=actor,
        obj=activity,
        summary=f"{'批准' if approve else '驳回'}免予记录：{exemption.ground_name}",
        detail={"exemption": exemption.pk, "note": exemption.decision_note},
    )
    if approve:
        Finding.objects.filter(
            activity=activity, kind=FindingKind.MISSING, status__in=[FindingStatus.OPEN]
        ).update(status=FindingStatus.EXEMPTED, closed_at=timezone.now())
    evaluate_activity(activity)
    notify(
        exemption.submitted_by,
        f"您的免予记录申请（{activity}）{'已批准' if approve else '已驳回'}",
        f"审批意见：{exemption.decision_note}" if exemption.decision_note else "",
        _activity_url(activity.pk),
        "exemption.approved" if approve else "exemption.rejected",
    )


def _activity_url(activity_id: int | None) -> str:
    return reverse("compliance:activity", args=[activity_id]) if activity_id else ""


@transaction.atomic
def grant_extension(actor, activity: Activity) -> str:
    """The unit head consents to the longer ingest deadline (fuzhou 004§17), if the profile
    has one and it applies: never where a dispute or sudden incident happened at that
    activity. For an activity type prone to disputes he is warned and decides; the warning
    is returned (and kept in the audit entry), "" when there is none."""
    from avrecords.policies.deadlines import extension_refusal, extension_warning

    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    profile = profile_for_unit(activity.unit)
    extension = profile.ingest.extension if profile else None
    _check(actor, extension_step(activity))
    if extension is None:
        raise StepRefused(f"策略“{profile.name if profile else ''}”没有延长存储期限的规定")
    if activity.extension_by_id:
        raise StepRefused("已同意过延期存储")
    if refusal := extension_refusal(profile, dispute=activity.dispute):
        raise StepRefused(refusal)
    warning = extension_warning(profile, profile.activity(activity.kind))
    Activity.objects.filter(pk=activity.pk).update(extension_by=actor, extension_at=timezone.now())
    record(
        "activity.extension",
        actor=actor,
        obj=activity,
        summary=f"同意延期存储：{activity}" + (f"（已提示：{warning}）" if warning else ""),
        detail={
            "cite": extension.cite,
            "rule": extension.rule.value,
            "amount": extension.amount,
            "warning": warning,
        },
    )
    activity.refresh_from_db()
    evaluate_activity(activity)
    return warning


@dataclass(frozen=True)
class ExtensionOffer:
    """What the activity page offers a person who may consent to the extension (004§17)."""

    refusal: str = ""  # why it cannot be granted for this activity (a dispute happened)
    warning: str = ""  # an activity type prone to disputes: he is told, and decides


def extension_offer(user, activity: Activity) -> ExtensionOffer | None:
    """None when there is nothing to offer `user`: the profile has no extension, it was
    granted already, or the decision is not his."""
    from avrecords.policies.deadlines import extension_refusal, extension_warning

    profile = profile_for_unit(activity.unit)
    if profile is None or profile.ingest.extension is None or activity.extension_by_id:
        return None
    if not may_extend(user, activity):
        return None
    if refusal := extension_refusal(profile, dispute=activity.dispute):
        return ExtensionOffer(refusal=refusal)
    return ExtensionOffer(warning=extension_warning(profile, profile.activity(activity.kind)))


def escalate_overdue(now=None) -> int:
    """Findings nobody explained within the profile's window are escalated (each with its
    violation candidate, made by supervision on `events.FINDING_ESCALATED`, in the same
    transaction). A missed notice (U5) never is: it is answered and reviewed, never a
    violation by itself."""
    now = now or timezone.now()
    overdue = Finding.objects.filter(
        kind__in=EXPLAINABLE, status=FindingStatus.OPEN, respond_by__lt=now
    ).exclude(kind=FindingKind.NO_NOTICE)
    count = 0
    for finding in overdue.select_related("unit"):
        if (
            finding.kind == FindingKind.MISSING
            and finding.activity.exemptions.filter(decision=Decision.PENDING).exists()
        ):
            continue  # waiting for the leader, not for the officer
        escalate(finding)
        count += 1
    return count


@transaction.atomic
def escalate(finding: Finding) -> None:
    """Hand an unexplained finding on: escalated here, a violation candidate in supervision."""
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.ESCALATED)
    events.FINDING_ESCALATED.send(finding=finding)
