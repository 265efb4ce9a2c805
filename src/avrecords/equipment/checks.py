"""The pre-use check before field work (使用前检查, E7; 000§10, 001§10, 002§7, 003§7, 004§11).

The holder of a device, or an equipment administrator whose units hold it, records four
items — the device works, the battery is charged, there is free storage, the clock is set —
with optional readings. A failed check is recorded like a passed one (it is evidence that
the officer looked) and shows on the dashboard; clock flags are raised by ingest, not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.equipment.access import device_in_unit_scope, held_by
from avrecords.equipment.models import Custody, Device, DeviceStatus, PreUseCheck
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.scope import can_manage_equipment
from avrecords.policies.services import profile_for_unit

NOTE_MAX_CHARS = 300
# A reading from a station clock years off is still an integer; beyond this it is a typo.
CLOCK_OFFSET_MAX_SECONDS = 10 * 366 * 86400
# A check sent by a handheld app may arrive a little after it was made, never before.
FUTURE_SLACK_SECONDS = 300
ITEMS = (
    ("works", "设备无故障"),
    ("battery_ok", "电量充足"),
    ("storage_ok", "存储空间充足"),
    ("clock_ok", "时间已校准"),
)


class CheckNotAllowed(Forbidden):
    """The user may see the device but not check it (403)."""


class CheckInvalid(Invalid, ValueError):
    """A check that cannot be recorded (422); `errors` are Chinese, one per problem."""

    api_prefix = "未登记："

    def __init__(self, errors: list[str]) -> None:
        super().__init__(reasons=errors)
        self.errors = errors


@dataclass(frozen=True)
class CheckInput:
    """What a person ticked and read off the device."""

    works: bool
    battery_ok: bool
    storage_ok: bool
    clock_ok: bool
    battery_percent: int | None = None
    free_storage_gb: float | None = None
    clock_offset_seconds: int | None = None
    note: str = ""


def may_check(user, device: Device) -> bool:
    """The current holder, or an equipment administrator whose units hold the device."""
    if not user.is_authenticated:
        return False
    if held_by(device, user):
        return True
    return can_manage_equipment(user) and device_in_unit_scope(user, device)


def failed_items(check) -> list[str]:
    """The Chinese names of the items not ticked."""
    return [label for field, label in ITEMS if not getattr(check, field)]


def _errors(device: Device, data: CheckInput, when: dt.datetime) -> list[str]:
    errors: list[str] = []
    if device.status in (DeviceStatus.LOST, DeviceStatus.RETIRED):
        errors.append("设备已报废/遗失，不能登记使用前检查")
    if data.battery_percent is not None and not 0 <= data.battery_percent <= 100:
        errors.append("电量（%）须在 0 到 100 之间")
    if data.free_storage_gb is not None and not data.free_storage_gb >= 0:  # also NaN
        errors.append("剩余空间（GB）不能为负数")
    offset = data.clock_offset_seconds
    if offset is not None and abs(offset) > CLOCK_OFFSET_MAX_SECONDS:
        errors.append("时钟偏差（秒）超出合理范围，请核对")
    elif offset is not None and data.clock_ok:
        profile = profile_for_unit(device.unit)
        rule = profile.equipment.clock if profile else None
        if rule is not None and abs(offset) > rule.tolerance_seconds:
            errors.append(
                f"时钟偏差 {offset} 秒超过允许的 {rule.tolerance_seconds} 秒（{rule.cite}），"
                "请先校准设备时间，或不勾选“时间已校准”"
            )
    if len(data.note) > NOTE_MAX_CHARS:
        errors.append(f"备注最多 {NOTE_MAX_CHARS} 个字符")
    if when > timezone.now() + dt.timedelta(seconds=FUTURE_SLACK_SECONDS):
        errors.append("检查时间不能晚于当前时间")
    return errors


def record_check(
    actor,
    device: Device,
    *,
    works: bool,
    battery_ok: bool,
    storage_ok: bool,
    clock_ok: bool,
    battery_percent: int | None = None,
    free_storage_gb: float | None = None,
    clock_offset_seconds: int | None = None,
    note: str = "",
    source: str = PreUseCheck.Source.WEB,
    when: dt.datetime | None = None,
) -> PreUseCheck:
    """Record one pre-use check, passed or failed, and audit it (`device.check`)."""
    if not may_check(actor, device):
        raise CheckNotAllowed("无权登记使用前检查：只有设备的当前领用人或本单位设备管理员可以登记")
    data = CheckInput(
        bool(works),
        bool(battery_ok),
        bool(storage_ok),
        bool(clock_ok),
        battery_percent,
        free_storage_gb,
        clock_offset_seconds,
        (note or "").strip(),
    )
    when = when or timezone.now()
    errors = _errors(device, data, when)
    if errors:
        raise CheckInvalid(errors)
    with transaction.atomic():
        check = PreUseCheck.objects.create(
            device=device,
            checked_by=actor,
            checked_on=timezone.localdate(when),
            checked_at=when,
            source=source,
            **asdict(data),
        )
        failed = failed_items(check)
        audit.record(
            "device.check",
            actor=actor,
            obj=device,
            summary=f"{device.serial} 使用前检查"
            + ("通过" if not failed else "未通过：" + "、".join(failed)),
            detail={
                "check": check.pk,
                "passed": not failed,
                "failed": failed,
                "source": source,
                "battery_percent": data.battery_percent,
                "free_storage_gb": data.free_storage_gb,
                "clock_offset_seconds": data.clock_offset_seconds,
            },
        )
    return check


# --- lookups for pages and the dashboard ---------------------------------------------------
def last_check(device: Device) -> PreUseCheck | None:
    return device.checks.select_related("checked_by").order_by("-checked_at", "-pk").first()


def checks_today(devices, day: dt.date | None = None) -> dict[int, PreUseCheck]:
    """The latest check of the day (today by default) of each device that has one, by id."""
    day = day or timezone.localdate()
    latest: dict[int, PreUseCheck] = {}
    for check in (
        PreUseCheck.objects.filter(device__in=devices, checked_on=day)
        .select_related("checked_by")
        .order_by("checked_at", "pk")
    ):
        latest[check.device_id] = check
    return latest


def out_during(day: dt.date) -> Q:
    """Custodies open at some moment of that local day."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    end = start + dt.timedelta(days=1)
    return Q(started_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=start))


def unchecked_today(queryset: QuerySet[Device], day: dt.date | None = None) -> QuerySet[Device]:
    """Devices of the queryset out with someone that day but without any pre-use check."""
    day = day or timezone.localdate()
    issued = Custody.objects.filter(out_during(day)).values("device_id")
    checked = PreUseCheck.objects.filter(checked_on=day).values("device_id")
    return queryset.filter(pk__in=issued).exclude(pk__in=checked)


__all__ = [
    "CheckInvalid",
    "CheckNotAllowed",
    "may_check",
    "record_check",
    "last_check",
    "checks_today",
    "unchecked_today",
    "failed_items",
]
