"""A missed notice is answered and reviewed, never decided by the machine alone (U5).

When the notice check heard no notice (000§12, 001§11, 002§10, 003§9, 004§13) the officer
concerned — or his successor, when he left (E5: `handled_by`) — answers with one of the
profile's `notice.answers` and a few words ("告知在另一台设备上录制", "口头告知未录入"…), kept
as the finding's `Explanation`. The profile's `notice.reviewed_by` then confirms it (the
notice was indeed missing) or dismisses it (the notice was given, or the check was wrong);
a reviewer may also decide without an answer. Either way the finding is resolved, with
`detail.review.outcome` "confirmed" or "dismissed". Who may review is the approvals engine's
decision ``notice.review``: never the officer concerned nor the one who answered. Nothing
here escalates the finding or raises a violation candidate. Every step is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.compliance.models import (
    OPEN_STATUSES,
    Explanation,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.compliance.workflows import StepRefused
from avrecords.lib.refusals import Forbidden
from avrecords.notices.services import notify
from avrecords.org.models import User
from avrecords.policies import approvals
from avrecords.policies.services import profile_for_unit

MIN_TEXT = 5


def answerer_id(finding: Finding) -> int | None:
    return finding.handled_by_id or finding.officer_id


def may_answer(user, finding: Finding) -> bool:
    """Whether `answer` would take this person's answer now."""
    return (
        user.is_authenticated
        and finding.kind == FindingKind.NO_NOTICE
        and answerer_id(finding) == user.pk
        and finding.status == FindingStatus.OPEN
        and getattr(finding, "explanation", None) is None
    )


def answers(finding: Finding) -> list[dict]:
    """The answers the profile offers for this finding (code, name)."""
    profile = profile_for_unit(finding.unit)
    return [{"code": a.code, "name": a.name} for a in profile.notice.answers] if profile else []


@transaction.atomic
def answer(actor, finding: Finding, code: str, text: str) -> Explanation:
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if finding.kind != FindingKind.NO_NOTICE:
        raise StepRefused("只有“未检测到告知语”的问题可以这样说明")
    if answerer_id(finding) != actor.pk:  # E5: a successor answers
        raise Forbidden("只有相关执法人员（或其交接人）可以说明")
    if finding.status != FindingStatus.OPEN or Explanation.objects.filter(finding=finding).exists():
        raise StepRefused(f"该问题当前状态为“{finding.get_status_display()}”，不能再次说明")
    profile = profile_for_unit(finding.unit)
    choice = profile.notice.answer(code) if profile else None
    if choice is None:
        raise StepRefused("请选择策略规定的说明情形")
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise StepRefused(f"请填写说明（至少 {MIN_TEXT} 个字）")
    explanation = Explanation.objects.create(
        finding=finding, reason=choice.code, reason_name=choice.name, text=text, explained_by=actor
    )
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.EXPLAINED)
    record(
        "notice.answer",
        actor=actor,
        obj=finding,
        summary=f"说明未检测到告知语：{choice.name}",
        detail={"answer": choice.code, "text": text[:500], "cite": profile.notice.cite},
    )
    return explanation


def review_step(finding: Finding) -> approvals.Step:
    explained_by = (
        Explanation.objects.filter(finding=finding).values_list("explained_by", flat=True).first()
    )
    return approvals.Step(
        unit=finding.unit,
        decision="notice.review",
        requester_id=explained_by,
        concerned_id=finding.officer_id,
    )


def may_review(user, finding: Finding) -> bool:
    return (
        finding.kind == FindingKind.NO_NOTICE
        and finding.status in OPEN_STATUSES
        and approvals.may_decide(user, review_step(finding))
    )


@transaction.atomic
def review(actor, finding: Finding, confirm: bool, note: str = "") -> None:
    """Confirm (the notice was missing) or dismiss (it was given, or the check was wrong)."""
    finding = Finding.objects.select_for_update().select_related("unit").get(pk=finding.pk)
    if finding.kind != FindingKind.NO_NOTICE:
        raise StepRefused("只有“未检测到告知语”的问题在这里确认")
    if why := approvals.why_not(actor, review_step(finding)):
        if why.standing:
            raise Forbidden(str(why))
        raise StepRefused(why)
    if finding.status not in OPEN_STATUSES:
        raise StepRefused(f"该问题当前状态为“{finding.get_status_display()}”，不能再确认")
    note = (note or "").strip()[:300]
    now = timezone.now()
    outcome = "confirmed" if confirm else "dismissed"
    detail = {
        **finding.detail,
        "review": {"outcome": outcome, "by": actor.pk, "at": now.isoformat(), "note": note},
    }
    Finding.objects.filter(pk=finding.pk).update(
        status=FindingStatus.RESOLVED, closed_at=now, detail=detail
    )
    Explanation.objects.filter(finding=finding).update(acknowledged_by=actor, acknowledged_at=now)
    said = "确认未告知" if confirm else "认定已告知或检测有误，不予认定"
    record(
        "notice.confirm" if confirm else "notice.dismiss",
        actor=actor,
        obj=finding,
        summary=f"{said}：{finding.summary}",
        detail={"outcome": outcome, "note": note},
    )
    url = reverse("compliance:activity", args=[finding.activity_id]) if finding.activity_id else ""
    explained_by = Explanation.objects.filter(finding=finding).values_list(
        "explained_by", flat=True
    )
    for person in {finding.officer_id, *explained_by} - {None}:
        notify(
            User(pk=person),
            f"告知检查结果已{'确认' if confirm else '不予认定'}：{finding.summary}",
            f"{actor.display_name} 于 {timezone.localtime(now):%Y-%m-%d %H:%M} {said}"
            + (f"；意见：{note}" if note else ""),
            url,
            "notice.reviewed",
        )
