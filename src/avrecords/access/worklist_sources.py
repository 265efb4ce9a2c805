"""待办 sources of access (issue 17 §3): requests whose current step this person may decide,
and approved requests this person must carry out (`access.inbox`, the approvals engine)."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.access import inbox
from avrecords.access.models import AccessRequest


def _title(req: AccessRequest) -> str:
    when = timezone.localtime(req.created_at).strftime("%Y-%m-%d %H:%M")
    return f"{req.requester.display_name} 的{req.get_kind_display()}申请 {req.number}（{when}）"


def _task(req: AccessRequest, recordings: int) -> worklist.Task:
    return worklist.Task(
        title=_title(req),
        url=reverse("access:detail", args=[req.pk]),
        detail=f"事由：{req.reason}；共 {recordings} 条音像记录，期限 {req.days} 天",
        obj=req,
    )


def _tasks(requests: list[AccessRequest]) -> list[worklist.Task]:
    """The requests' tasks, their recordings counted in one query for all (issue 22 §4)."""
    counted = dict(
        AccessRequest.objects.filter(pk__in=[r.pk for r in requests])
        .annotate(n=Count("recordings"))
        .values_list("pk", "n")
    )
    return [_task(r, counted.get(r.pk, 0)) for r in requests]


def to_decide(user) -> list[worklist.Task]:
    return _tasks(inbox.to_approve(user))


def to_carry_out(user) -> list[worklist.Task]:
    return _tasks(inbox.to_execute(user))


def register() -> None:
    # decided and carried out in place: 待办 is where the unit head and the administrator act
    worklist.register(
        "access.approve",
        group="待我审批的查阅、复制申请",
        order=30,
        tasks=to_decide,
        count=lambda user: len(inbox.to_approve(user)),  # no per-request recordings count
        template="access/worklist/decide.html",
    )
    worklist.register(
        "access.execute",
        group="待我办理的查阅、复制申请",
        order=31,
        tasks=to_carry_out,
        count=lambda user: len(inbox.to_execute(user)),
        template="access/worklist/execute.html",
    )
