"""待办 sources of equipment (issue 17 §3): loss reports to acknowledge and clock drift to set
right (E6, E7). The pre-use check is not a task here: it is due before each use, which the
platform cannot see, not on a date (`checks.unchecked_today` reports it on the dashboard)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.equipment.access import device_in_unit_scope
from avrecords.equipment.clock import describe_offset
from avrecords.equipment.events import pending_acknowledgements
from avrecords.equipment.models import ClockFlag, Device
from avrecords.org.scope import can_manage_equipment


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def losses_to_acknowledge(user) -> list[worklist.Task]:
    return [
        worklist.Task(
            title=f"设备 {e.device.serial} {e.get_kind_display()}报告（{_when(e.at)}）",
            url=reverse("equipment:device", args=[e.device_id]),
            detail=(f"领用人 {e.person.display_name}；" if e.person else "") + (e.note or ""),
            obj=e,
        )
        for e in pending_acknowledgements(user)
    ]


def clock_flags_to_resolve(user) -> list[worklist.Task]:
    if not can_manage_equipment(user):
        return []
    flags = (
        ClockFlag.objects.filter(resolved_at=None, device__in=Device.objects.visible_to(user))
        .select_related("device", "device__unit")
        .order_by("created_at")
    )
    return [
        worklist.Task(
            title=f"设备 {f.device.serial} 时钟偏差（{describe_offset(f.offset_seconds)}）",
            url=reverse("equipment:clock_flags"),
            detail=f"发现于 {_when(f.created_at)}，请校准设备时钟后填写处理说明",
            obj=f,
        )
        for f in flags
        if device_in_unit_scope(user, f.device)
    ]


def register() -> None:
    worklist.register(
        "equipment.losses",
        group="待我确认的设备遗失、被盗报告",
        order=40,
        tasks=losses_to_acknowledge,
        template="equipment/worklist/loss.html",
    )
    worklist.register(
        "equipment.clock",
        group="待处理的设备时钟偏差",
        order=61,
        tasks=clock_flags_to_resolve,
    )
