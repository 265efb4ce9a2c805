"""待办 source of recordings (issue 17 §3): recordings bound to nobody (待指派) that this
administrator may bind (`assignment.can_assign`, within his scope)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.org.scope import recording_q
from avrecords.recordings.assignment import can_assign
from avrecords.recordings.models import Recording


def _unassigned(user):
    # The scope rule with the unit subtree as a list of ids: with the partial index
    # recording_to_assign the count reads no table row (issue 22 §4).
    return Recording.objects.filter(
        recording_q(user, resolve_units=True), needs_assignment=True, purged_at__isnull=True
    )


def count_to_assign(user) -> int:
    """The menu's share: one COUNT (issue 22)."""
    return _unassigned(user).count() if can_assign(user) else 0


def to_assign(user) -> list[worklist.Task]:
    if not can_assign(user):
        return []
    rows = _unassigned(user).order_by("started_at", "pk")
    return [
        worklist.Task(
            title=f"待指派：{r.original_name}"
            + (
                f"（{timezone.localtime(r.started_at):%Y-%m-%d %H:%M} 拍摄）"
                if r.started_at
                else ""
            ),
            url=reverse("recordings:assign", args=[r.pk]),
            detail=r.assignment_note,
            obj=r,
        )
        for r in rows
    ]


def register() -> None:
    worklist.register(
        "recordings.assign",
        group="待指派执法人员的音像记录",
        order=45,
        tasks=to_assign,
        count=count_to_assign,
    )
