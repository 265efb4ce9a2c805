"""Issuing and returning devices (E2: 谁使用、谁保管、谁负责).

A device has at most one open custody (also a database constraint); issuing a device that is
out, returning one that is not, or dating a handover before the previous one are refused
with a Chinese message and change nothing. Every handover is audited with its condition and
accessories; accessories not brought back stay outstanding on the person's clearance (E5).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.equipment.models import Custody, Device, DeviceStatus
from avrecords.lib.refusals import Conflict
from avrecords.org import suspensions

# A station's or browser's clock may run a little ahead of the server's.
CLOCK_SLACK = dt.timedelta(minutes=5)


class CustodyError(Conflict):
    """A custody change the ledger cannot take in the device's or person's present state
    (409); the message is for the user."""


def holder_at(device: Device, when: dt.datetime):
    """The person who held the device at that moment, or None."""
    custody = (
        Custody.objects.filter(device=device, started_at__lte=when)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=when))
        .select_related("holder")
        .order_by("-started_at")
        .first()
    )
    return custody.holder if custody else None


def open_custody(device: Device) -> Custody | None:
    return (
        Custody.objects.filter(device=device, ended_at__isnull=True)
        .select_related("holder")
        .first()
    )


def _names(items) -> list[str]:
    """Accessory names from a list or a 、/,-separated text, trimmed, unique, in order."""
    if isinstance(items, str):
        items = items.replace("，", ",").replace("、", ",").replace("\n", ",").split(",")
    seen: list[str] = []
    for item in items or []:
        name = str(item).strip()[:50]
        if name and name not in seen:
            seen.append(name)
    return seen


def check_when(when: dt.datetime, what: str = "交接") -> None:
    if when > timezone.now() + CLOCK_SLACK:
        raise CustodyError(f"{what}时间不能晚于当前时间")


@transaction.atomic
def issue_device(
    device: Device,
    holder,
    *,
    operator=None,
    when: dt.datetime | None = None,
    condition: str = "",
    accessories=(),
    note: str = "",
) -> Custody:
    """Issue a device to a person. Refused: device out, under repair, lost or retired; the
    person inactive, being cleared to leave or suspended from enforcement (S5); a date
    before the device's last return."""
    when = when or timezone.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    current = open_custody(device)
    if current is not None:
        raise CustodyError(
            f"设备 {device.serial} 已由 {current.holder.display_name} 于 "
            f"{timezone.localtime(current.started_at):%Y-%m-%d %H:%M} 领用，须先归还"
        )
    if device.status not in (DeviceStatus.IN_SERVICE, DeviceStatus.SPARE):
        raise CustodyError(f"设备 {device.serial} 状态为“{device.get_status_display()}”，不能领用")
    if not holder.is_active:
        raise CustodyError(f"{holder.display_name} 的账号已停用，不能领用设备")
    if holder.clearances.filter(status="open").exists():
        raise CustodyError(f"{holder.display_name} 正在办理调离交接，不能领用设备")
    if (suspension := suspensions.suspended(holder, when)) is not None:  # S5
        raise CustodyError(f"{suspensions.describe(suspension)}，不能领用设备")
    check_when(when)
    if device.purchase_date and timezone.localtime(when).date() < device.purchase_date:
        raise CustodyError(f"领用时间早于设备购置日期（{device.purchase_date:%Y-%m-%d}）")
    last_end = device.custodies.aggregate(m=Max("ended_at"))["m"]
    if last_end is not None and when < last_end:
        raise CustodyError(
            f"领用时间早于该设备上次归还时间（{timezone.localtime(last_end):%Y-%m-%d %H:%M}）"
        )
    try:
        with transaction.atomic():
            custody = Custody.objects.create(
                device=device,
                holder=holder,
                started_at=when,
                issued_by=operator,
                issue_condition=condition.strip()[:200],
                accessories=_names(accessories),
                note=note.strip()[:300],
            )
    except IntegrityError as exc:  # a concurrent issue won the race
        raise CustodyError(f"设备 {device.serial} 已被领用，须先归还") from exc
    if device.status == DeviceStatus.SPARE:
        Device.objects.filter(pk=device.pk).update(status=DeviceStatus.IN_SERVICE)
    audit.record(
        "device.issue",
        actor=operator,
        obj=device,
        summary=f"{device.serial} 领用人 {holder.display_name}",
        detail={
            "holder": holder.pk,
            "custody": custody.pk,
            "condition": custody.issue_condition,
            "accessories": custody.accessories,
        },
    )
    return custody


@transaction.atomic
def return_device(
    device: Device,
    *,
    operator=None,
    when: dt.datetime | None = None,
    condition: str = "",
    returned_accessories=None,
    note: str = "",
) -> Custody:
    """Close the open custody. Accessories issued and not listed as returned are recorded as
    missing (None = all returned)."""
    when = when or timezone.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    custody = open_custody(device)
    if custody is None:
        raise CustodyError(f"设备 {device.serial} 当前未被领用，无需归还")
    check_when(when)
    if when < custody.started_at:
        raise CustodyError(
            f"归还时间早于领用时间（{timezone.localtime(custody.started_at):%Y-%m-%d %H:%M}）"
        )
    returned = custody.accessories if returned_accessories is None else _names(returned_accessories)
    unknown = [a for a in returned if a not in custody.accessories]
    if unknown:
        raise CustodyError(f"领用时未登记这些配件：{'、'.join(unknown)}")
    custody.ended_at = when
    custody.returned_by = operator
    custody.return_condition = condition.strip()[:200]
    custody.missing_accessories = [a for a in custody.accessories if a not in returned]
    if note:
        custody.note = (custody.note + "；" if custody.note else "") + note.strip()[:150]
    custody.save()
    audit.record(
        "device.return",
        actor=operator,
        obj=device,
        summary=f"{device.serial} 归还（使用人 {custody.holder.display_name}）"
        + (
            f"，缺少配件：{'、'.join(custody.missing_accessories)}"
            if custody.missing_accessories
            else ""
        ),
        detail={
            "holder": custody.holder_id,
            "custody": custody.pk,
            "condition": custody.return_condition,
            "missing": custody.missing_accessories,
        },
    )
    return custody


@transaction.atomic
def settle_accessories(custody: Custody, names, *, operator, how: str = "returned") -> Custody:
    """Accessories brought back later (`returned`) or written off by a loss report (`lost`)."""
    custody = Custody.objects.select_for_update().get(pk=custody.pk)
    names = _names(names)
    unknown = [n for n in names if n not in custody.missing_accessories]
    if not names or unknown:
        raise CustodyError(f"这些配件不在未归还清单中：{'、'.join(unknown) or '（未选择）'}")
    custody.missing_accessories = [a for a in custody.missing_accessories if a not in names]
    custody.save(update_fields=["missing_accessories"])
    audit.record(
        "device.accessories",
        actor=operator,
        obj=custody.device,
        summary=f"{custody.device.serial} 配件{'补还' if how == 'returned' else '报失'}："
        + "、".join(names),
        detail={"custody": custody.pk, "names": names, "how": how},
    )
    return custody


def outstanding_for(person) -> list[Custody]:
    """What a person still owes: devices out, and accessories not brought back."""
    return list(
        Custody.objects.filter(holder=person)
        .filter(Q(ended_at__isnull=True) | ~Q(missing_accessories=[]))
        .select_related("device")
        .order_by("started_at")
    )


def held_now(user) -> list[Custody]:
    """The officer's 我的设备: the devices he holds now, with when and what he received."""
    return list(
        Custody.objects.filter(holder=user, ended_at__isnull=True)
        .select_related("device", "device__unit", "holder", "issued_by", "returned_by")
        .order_by("device__kind", "device__serial")
    )
