"""待办 sources of compliance (issue 17 §3): findings to explain or check, explanations to
acknowledge, exemptions to decide, clearances to finish; missed notices to answer and
review, and the system administrator's missing notice references (U5). Each lists what this
person may act on now, by the same rules the actions check (`workflows`, the approvals engine)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.compliance.models import (
    Activity,
    Decision,
    Exemption,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.compliance.models_notice import NoticeCheck, NoticeOutcome, NoticeReference
from avrecords.compliance.notice_answers import may_review
from avrecords.compliance.notice_check import NO_REFERENCES_MESSAGE
from avrecords.compliance.workflows import may_acknowledge, may_decide_exemption
from avrecords.equipment.models import Clearance, ClearanceStatus
from avrecords.org.scope import can_manage_equipment, can_manage_policies
from avrecords.policies.services import profile_for_unit

# what the officer (or his successor, E5) must answer: interruptions to explain, activities
# not recorded (an exemption), times that disagree with the documents (to check and correct),
# a notice the platform did not hear (U5)
MINE = (
    FindingKind.GAP,
    FindingKind.UNCOVERED,
    FindingKind.MISSING,
    FindingKind.TIME_MISMATCH,
    FindingKind.NO_NOTICE,
)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _finding_url(f: Finding) -> str:
    if f.activity_id:
        return reverse("compliance:activity", args=[f.activity_id])
    return reverse("compliance:findings") + f"?status=all&q={f.pk}"


def _to_answer(user):
    return Finding.objects.visible_to(user).filter(_to_answer_q(user))


def _to_answer_q(user) -> Q:
    return (Q(officer=user, handled_by__isnull=True) | Q(handled_by=user)) & Q(
        kind__in=MINE,
        status__in=[FindingStatus.OPEN, FindingStatus.ESCALATED],
        explanation__isnull=True,
    )


_EXPLAINED = Q(status=FindingStatus.EXPLAINED)


def _finding_counts(user) -> dict[str, int]:
    """The menu's three shares of the findings in one query (issue 22 §4: each ORM query is
    2-7 ms of Python on every page's /menu/counts): findings to answer, and how many explained
    ones there are to acknowledge or review at all, which the rules of each row then narrow.
    Kept on the user object for the request, as `worklist.counts_for` keeps its counts."""
    counts = getattr(user, "_compliance_finding_counts", None)
    if counts is None:
        counts = Finding.objects.visible_to(user).aggregate(
            answer=Count("pk", filter=_to_answer_q(user)),
            acknowledge=Count("pk", filter=_EXPLAINED & ~Q(kind=FindingKind.NO_NOTICE)),
            review=Count("pk", filter=_EXPLAINED & Q(kind=FindingKind.NO_NOTICE)),
        )
        user._compliance_finding_counts = counts
    return counts


def count_to_answer(user) -> int:
    """The menu's share: without the profiles the page's forms need."""
    return _finding_counts(user)["answer"]


def count_to_acknowledge(user) -> int:
    return len(explanations_to_acknowledge(user)) if _finding_counts(user)["acknowledge"] else 0


def count_to_review(user) -> int:
    return len(notices_to_review(user)) if _finding_counts(user)["review"] else 0


def count_exemptions(user) -> int:
    """Scoped through the activities he may see, a query of ~3 ms to build: asked only when
    some exemption waits for a decision at all."""
    if not Exemption.objects.filter(decision=Decision.PENDING).exists():
        return 0
    return len(exemptions_to_decide(user))


def findings_to_answer(user) -> list[worklist.Task]:
    rows = (
        _to_answer(user)
        .select_related("activity", "unit", "officer")
        .order_by("respond_by", "opened_at")
    )
    tasks, profiles = [], {}  # one profile lookup per unit, not per finding
    for f in rows:
        if f.kind in (FindingKind.GAP, FindingKind.UNCOVERED, FindingKind.NO_NOTICE):
            if f.unit_id not in profiles:
                profiles[f.unit_id] = profile_for_unit(f.unit)
            profile = profiles[f.unit_id]
            if f.kind == FindingKind.NO_NOTICE:  # answered right here, as an interruption is
                f.reasons = profile.notice.answers if profile else []
            else:
                f.reasons = profile.interruptions.reasons if profile else []
        about = f" — {f.activity}" if f.activity_id else ""
        title = f"{f.get_kind_display()}：{f.summary}{about}"
        if f.kind == FindingKind.NO_NOTICE:
            title = f"请说明告知情况：{f.summary}{about}"
        tasks.append(
            worklist.Task(
                title=title,
                url=_finding_url(f),
                due=f.respond_by,
                detail=f"发现于 {_when(f.opened_at)}"
                + ("；已逾期，已转违规线索" if f.status == FindingStatus.ESCALATED else ""),
                obj=f,
            )
        )
    return tasks


def _explained(finding) -> str:
    """The officer's reason and words; a finding marked explained by another path (a
    supervisor's data fix, an import) may have no explanation row."""
    explanation = getattr(finding, "explanation", None)
    if explanation is None:
        return "未附书面说明"
    return f"原因：{explanation.reason_name}；说明：{explanation.text}"


def explanations_to_acknowledge(user) -> list[worklist.Task]:
    rows = (
        Finding.objects.visible_to(user)
        .filter(status=FindingStatus.EXPLAINED)
        .exclude(kind=FindingKind.NO_NOTICE)
        .select_related("unit", "officer", "activity", "explanation")
    )
    return [
        worklist.Task(
            title=f"{f.officer.display_name if f.officer else '—'} 的中断说明：{f.summary}",
            url=_finding_url(f),
            detail=_explained(f),
            obj=f,
        )
        for f in rows
        if may_acknowledge(user, f)
    ]


def exemptions_to_decide(user) -> list[worklist.Task]:
    rows = Exemption.objects.filter(
        decision=Decision.PENDING, activity__in=Activity.objects.visible_to(user)
    ).select_related("activity", "activity__unit", "submitted_by")
    return [
        worklist.Task(
            title=f"{e.submitted_by.display_name} 申请免予记录：{e.activity}",
            url=reverse("compliance:activity", args=[e.activity_id]),
            detail=f"{e.ground_name} — {e.reason}（依据：{e.legal_basis}；"
            f"提交于 {_when(e.submitted_at)}）",
            obj=e,
        )
        for e in rows
        if may_decide_exemption(user, e)
    ]


def notices_to_review(user) -> list[worklist.Task]:
    """Answered missed notices the person may confirm or dismiss (U5)."""
    rows = (
        Finding.objects.visible_to(user)
        .filter(kind=FindingKind.NO_NOTICE, status=FindingStatus.EXPLAINED)
        .select_related("unit", "officer", "activity", "explanation")
    )
    return [
        worklist.Task(
            title=f"{f.officer.display_name if f.officer else '—'} 的告知说明：{f.summary}"
            + (f" — {f.activity}" if f.activity_id else ""),
            url=_finding_url(f),
            detail=_explained(f),
            obj=f,
        )
        for f in rows
        if may_review(user, f)
    ]


def _references_url() -> str:
    try:
        return reverse("compliance:notice_references")
    except NoReverseMatch:  # the page is added with the pages of U5
        return reverse("compliance:findings")


def notice_references_missing(user) -> list[worklist.Task]:
    """The system administrator's: activities waited for a check because no reference
    recording of the notice has been given (U5)."""
    if not can_manage_policies(user) or NoticeReference.objects.exists():
        return []
    waiting = NoticeCheck.objects.filter(outcome=NoticeOutcome.NO_REFERENCES).count()
    if not waiting:
        return []
    return [
        worklist.Task(
            title=NO_REFERENCES_MESSAGE,
            url=_references_url(),
            detail=f"{waiting} 个执法活动的首个音像记录等待告知检查；上传参考录音后自动检查",
        )
    ]


def _open_clearances(user):
    return Clearance.objects.visible_to(user).filter(status=ClearanceStatus.OPEN)


def count_clearances(user) -> int:
    """The menu's share: one COUNT (issue 22)."""
    return _open_clearances(user).count() if can_manage_equipment(user) else 0


def clearances_to_finish(user) -> list[worklist.Task]:
    if not can_manage_equipment(user):
        return []
    rows = _open_clearances(user).select_related("person", "successor").order_by("due_at")
    return [
        worklist.Task(
            title=f"{c.person.display_name} {c.get_kind_display()}交接待办结",
            url=reverse("compliance:clearance", args=[c.pk]),
            due=c.due_at,
            detail=f"交接人 {c.successor.display_name}；发起于 {_when(c.started_at)}",
            obj=c,
        )
        for c in rows
    ]


def register() -> None:
    worklist.register(
        "compliance.answer",
        group="需要我说明或核对的合规问题",
        order=10,
        tasks=findings_to_answer,
        count=count_to_answer,
        template="compliance/worklist/answer.html",
    )
    worklist.register(
        "compliance.acknowledge",
        group="待我确认的中断说明",
        order=20,
        tasks=explanations_to_acknowledge,
        template="compliance/worklist/acknowledge.html",
        count=count_to_acknowledge,
    )
    worklist.register(
        "compliance.exemptions",
        group="待我审批的免予记录",
        order=21,
        tasks=exemptions_to_decide,
        template="compliance/worklist/exemption.html",
        count=count_exemptions,
    )
    worklist.register(
        "compliance.notice_review",
        group="待我确认的告知检查说明",
        order=22,
        tasks=notices_to_review,
        count=count_to_review,
    )
    worklist.register(
        "compliance.notice_references",
        group="告知检查待配置",
        order=70,
        tasks=notice_references_missing,
    )
    worklist.register(
        "compliance.clearances",
        group="待办结的离岗、调岗交接",
        order=60,
        tasks=clearances_to_finish,
        count=count_clearances,
    )
