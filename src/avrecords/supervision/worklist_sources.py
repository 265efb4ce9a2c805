"""待办 sources of supervision (issue 17 §3): violation candidates to confirm or dismiss,
accountability decisions to approve, campaigns to draw or score, annual reviews due — each
for those the same rules let act (`violations.may_decide`, `accountability.approver_refusal`
through the approvals engine, `campaigns.can_manage`)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.policies import approvals
from avrecords.supervision import accountability, campaigns, violations
from avrecords.supervision.models import (
    Accountability,
    Campaign,
    CampaignStatus,
    DecisionStatus,
    ViolationCandidate,
    ViolationStatus,
)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _who(person) -> str:
    return person.display_name if person else "责任人未确定"


def violations_to_decide(user) -> list[worklist.Task]:
    if not violations.can_read(user):
        # the register's scope is empty for him (`ViolationCandidate.visible_q`); building and
        # compiling the query only to learn so cost ~2 ms of each officer's menu (issue 22 §4)
        return []
    rows = list(
        ViolationCandidate.objects.visible_to(user)
        .filter(status=ViolationStatus.OPEN)
        .select_related("unit", "person")
    )
    with approvals.many_steps(c.unit for c in rows):
        return [
            worklist.Task(
                title=f"违规线索：{c.kind_name}（{_who(c.person)}，{_when(c.created_at)}）",
                url=reverse("supervision:violation", args=[c.pk]),
                obj=c,
            )
            for c in rows
            if approvals.answer_once(
                ("violation.decide", user.pk, c.unit_id, c.person_id),
                lambda c=c: violations.may_decide(user, c),
            )
        ]


def decisions_to_approve(user) -> list[worklist.Task]:
    if not violations.can_read(user):
        return []  # decisions are on violations of the register, which he does not read
    rows = list(
        Accountability.objects.filter(
            status=DecisionStatus.PENDING,
            violation__in=ViolationCandidate.objects.visible_to(user).values("pk"),
        )
        .select_related("violation", "violation__unit", "person", "proposed_by")
        .order_by("pk")
    )
    with approvals.many_steps(d.violation.unit for d in rows):
        return [
            worklist.Task(
                title=f"处理意见待批准：{d.person.display_name} {d.decision_name}",
                url=reverse("supervision:violation", args=[d.violation_id]),
                detail=f"{d.proposed_by.display_name} 提出：{d.reason}",
                obj=d,
            )
            for d in rows
            if approvals.answer_once(
                (
                    "accountability.approve",
                    user.pk,
                    d.violation.unit_id,
                    d.proposed_by_id,
                    d.person_id,
                ),
                lambda d=d: not accountability.approver_refusal(user, d),
            )
        ]


def campaigns_to_work(user) -> list[worklist.Task]:
    if not campaigns.can_manage(user):
        return []
    rows = (
        Campaign.objects.visible_to(user)
        .filter(status__in=[CampaignStatus.DRAFT, CampaignStatus.SCORING])
        .annotate(unscored=Count("samples", filter=Q(samples__score__isnull=True)))
    )
    tasks = []
    for c in rows:
        if c.status == CampaignStatus.DRAFT:
            title = f"{c.get_kind_display()} {c.title} 待抽样"
        elif c.unscored:
            title = f"{c.get_kind_display()} {c.title} 还有 {c.unscored} 个样本待评分"
        else:
            title = f"{c.get_kind_display()} {c.title} 已全部评分，待结束"
        tasks.append(
            worklist.Task(title=title, url=reverse("supervision:campaign", args=[c.pk]), obj=c)
        )
    return tasks


def reviews_due(user) -> list[worklist.Task]:
    return [
        worklist.Task(
            title=f"{r.unit.name} 本年度评查尚未组织（{r.profile_name}）",
            url=reverse("supervision:campaign_new"),
            detail=f"每年至少 {r.reviews_per_year} 次，自 {r.due:%Y-%m-%d} 起提醒"
            + (f"（{r.cite}）" if r.cite else ""),
            obj=r,
        )
        for r in campaigns.reviews_due(user)
    ]


def register() -> None:
    worklist.register(
        "supervision.violations", group="待我认定的违规线索", order=70, tasks=violations_to_decide
    )
    worklist.register(
        "supervision.decisions", group="待我批准的处理意见", order=71, tasks=decisions_to_approve
    )
    worklist.register(
        "supervision.campaigns", group="待我办理的抽查、评查", order=72, tasks=campaigns_to_work
    )
    worklist.register("supervision.reviews", group="待组织的年度评查", order=73, tasks=reviews_due)
