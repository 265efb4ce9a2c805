"""Clock drift flags of devices (E7; 000§10, 001§10, 002§7, 003§7, 004§11): reading them and
clearing them once an equipment administrator has set the device's clock.

The flags are raised at ingest by `recordings.clock` (it reads the recordings and their batch,
so it sits in the recordings layer): AHEAD when a file ends after the station received it, by
more than the profile's tolerance; STALE when a station dump's newest file of a device ends
long before the docking. Nothing is shifted: recordings keep their device times and the flag
stores both times. `offset_seconds` is device time minus station time (positive: the device
clock is fast).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.equipment.access import device_in_unit_scope
from avrecords.equipment.models import ClockFlag, Device
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.scope import can_manage_equipment

RESOLUTION_MAX_CHARS = 300


class FlagNotAllowed(Forbidden):
    """The user may see the flag but not clear it (403)."""


class FlagError(Invalid, ValueError):
    """A flag that cannot be resolved as asked (no or too long a note, already resolved);
    Chinese. The page shows it beside the flag."""


def describe_offset(seconds: int) -> str:
    """“快 10 分 0 秒” / “慢 40 天 3 小时”: how far the device clock was off."""
    word = "快" if seconds >= 0 else "慢"
    left = abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{word} {days} 天 {hours} 小时"
    if hours:
        return f"{word} {hours} 小时 {minutes} 分"
    return f"{word} {minutes} 分 {secs} 秒"


# --- reading and clearing ---------------------------------------------------------------
def open_flags(device: Device) -> QuerySet[ClockFlag]:
    return device.clock_flags.filter(resolved_at=None).order_by("-created_at", "-pk")


def may_resolve(user, flag: ClockFlag) -> bool:
    return can_manage_equipment(user) and device_in_unit_scope(user, flag.device)


def resolve_flag(actor, flag: ClockFlag, note: str) -> ClockFlag:
    """An equipment administrator has checked and set the clock; audited `device.clock_resolve`."""
    if not may_resolve(actor, flag):
        raise FlagNotAllowed("只有本单位设备管理员可以处理时钟偏差")
    note = (note or "").strip()
    if not note:
        raise FlagError("请填写处理说明（如：已按北京时间校准设备时钟）")
    if len(note) > RESOLUTION_MAX_CHARS:
        raise FlagError(f"处理说明最多 {RESOLUTION_MAX_CHARS} 个字符")
    with transaction.atomic():
        flag = ClockFlag.objects.select_for_update().select_related("device").get(pk=flag.pk)
        if flag.resolved_at is not None:
            raise FlagError("该时钟偏差已处理，不能重复处理")
        flag.resolved_by = actor
        flag.resolved_at = timezone.now()
        flag.resolution = note
        flag.save(update_fields=["resolved_by", "resolved_at", "resolution"])
        audit.record(
            "device.clock_resolve",
            actor=actor,
            obj=flag.device,
            summary=f"{flag.device.serial} 时钟偏差已处理：{note}",
            detail={"flag": flag.pk, "kind": flag.kind, "offset_seconds": flag.offset_seconds},
        )
    return flag


__all__ = [
    "open_flags",
    "may_resolve",
    "resolve_flag",
    "describe_offset",
    "FlagError",
    "FlagNotAllowed",
]
