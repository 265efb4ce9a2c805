"""待办 source of retention (issue 17 §3): disposal lists to review or approve, requests to
release a legal hold, requests to shorten a retention — those this person may decide
(`dashboard.awaiting`, the profile's roles through `retention.approvals`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.retention.dashboard import awaiting, awaiting_count


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def to_decide(user) -> list[worklist.Task]:
    waiting = awaiting(user)
    tasks = [
        worklist.Task(
            title=f"复核清除清单 {d.number}（{d.unit.name}，{_when(d.created_at)} 生成）",
            url=reverse("retention:disposal", args=[d.pk]),
            obj=d,
        )
        for d in waiting["review"]
    ]
    tasks += [
        worklist.Task(
            title=f"审批清除清单 {d.number}（{d.unit.name}，{_when(d.reviewed_at)} 复核）",
            url=reverse("retention:disposal", args=[d.pk]),
            obj=d,
        )
        for d in waiting["approve"]
    ]
    tasks += [
        worklist.Task(
            title=f"{h.release_requested_by.display_name if h.release_requested_by else ''} "
            f"申请解除法律保全 {h.number}（{_when(h.release_requested_at)}）".strip(),
            url=reverse("retention:hold", args=[h.pk]),
            obj=h,
        )
        for h in waiting["release"]
    ]
    tasks += [
        worklist.Task(
            title=f"{c.requested_by.display_name} 申请缩短保存期限：{c.recording.original_name}"
            f"（{_when(c.requested_at)}）",
            url=reverse("recordings:detail", args=[c.recording_id]),
            detail=f"理由：{c.reason}",
            obj=c,
        )
        for c in waiting["changes"]
    ]
    return tasks


def register() -> None:
    worklist.register(
        "retention.decide",
        group="待我处理的保存期限事项",
        order=50,
        tasks=to_decide,
        count=awaiting_count,  # the menu's share without building each task's title and link
    )
