"""The usage ledger (使用台账, E2): who held a device when, and what it recorded meanwhile.

A custody period runs from 领用 to 归还 (or now, if still held); the recordings counted for a
period are those the device produced (Recording.device) starting within it, whoever ingested
them. Recordings a device made outside every custody period are counted separately: a
device recording while nobody held it is itself worth a look.

It counts recordings, so it lives in the recordings layer (issue 16), with its pages
(`recordings.views_usage`); the custody periods it reads are equipment's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from avrecords.equipment.ledger_io import local_text, workbook_bytes
from avrecords.equipment.models import Custody, Device
from avrecords.recordings.models import Recording


@dataclass
class Period:
    """One custody period and the recordings the device produced in it."""

    custody: Custody
    recordings: int = 0
    seconds: float = 0.0
    first: dt.datetime | None = None  # start of the first recording
    last: dt.datetime | None = None  # end of the last recording

    @property
    def duration(self) -> str:
        return duration_text(self.seconds)


@dataclass
class DeviceUsage:
    device: Device
    periods: list[Period] = field(default_factory=list)
    outside: int | None = None  # recordings outside every period (None: not computed)

    @property
    def recordings(self) -> int:
        return sum(p.recordings for p in self.periods)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.periods)


def _window(custody: Custody, now: dt.datetime) -> Q:
    return Q(started_at__gte=custody.started_at, started_at__lt=custody.ended_at or now)


def _period(custody: Custody, now: dt.datetime) -> Period:
    totals = Recording.objects.filter(_window(custody, now), device_id=custody.device_id).aggregate(
        n=Count("id"),
        seconds=Sum("duration_seconds"),
        first=Min("started_at"),
        last=Max("ended_at"),
    )
    return Period(custody, totals["n"], totals["seconds"] or 0.0, totals["first"], totals["last"])


def made_any(device: Device) -> bool:
    """Whether the device made any recording (`panels.DEVICE_RECORDINGS`)."""
    return Recording.objects.filter(device=device).exists()


def _custodies():
    return Custody.objects.select_related(
        "device", "device__unit", "holder", "issued_by", "returned_by"
    )


def device_usage(device: Device, *, holder=None, now: dt.datetime | None = None) -> DeviceUsage:
    """The device's custody periods, oldest first; only `holder`'s when given (an officer
    sees his own periods of a device he has held, not those of the people after him)."""
    now = now or timezone.now()
    custodies = _custodies().filter(device=device).order_by("started_at", "id")
    if holder is not None:
        custodies = custodies.filter(holder=holder)
    usage = DeviceUsage(device, [_period(c, now) for c in custodies])
    if holder is None:
        inside = Q(pk__in=[])
        for period in usage.periods:
            inside |= _window(period.custody, now)
        usage.outside = Recording.objects.filter(device=device).exclude(inside).count()
    return usage


def person_usage(person, *, now: dt.datetime | None = None) -> list[DeviceUsage]:
    """Every device the person has held, each with his periods of it (latest device first)."""
    now = now or timezone.now()
    by_device: dict[int, DeviceUsage] = {}
    for custody in _custodies().filter(holder=person).order_by("-started_at", "-id"):
        usage = by_device.setdefault(custody.device_id, DeviceUsage(custody.device))
        usage.periods.insert(0, _period(custody, now))
    return list(by_device.values())


def duration_text(seconds: float) -> str:
    total = int(round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _names(people) -> str:
    return "、".join(str(p) for p in people or [])


USAGE_COLUMNS = [
    "设备类型",
    "产品序号",
    "所属单位",
    "使用人",
    "领用时间",
    "发放经办人",
    "领用时状况",
    "随附配件",
    "归还时间",
    "归还经办人",
    "归还时状况",
    "未归还配件",
    "记录数",
    "总时长",
    "首条记录开始",
    "末条记录结束",
]


def usage_rows(usages: list[DeviceUsage]):
    for usage in usages:
        device = usage.device
        for p in usage.periods:
            c = p.custody
            yield [
                device.get_kind_display(),
                device.serial,
                device.unit.name,
                c.holder.display_name,
                local_text(c.started_at),
                c.issued_by.display_name if c.issued_by else "",
                c.issue_condition,
                _names(c.accessories),
                local_text(c.ended_at) if c.ended_at else "未归还",
                c.returned_by.display_name if c.returned_by else "",
                c.return_condition,
                _names(c.missing_accessories),
                p.recordings,
                duration_text(p.seconds),
                local_text(p.first),
                local_text(p.last),
            ]


def usage_workbook(usages: list[DeviceUsage]) -> bytes:
    return workbook_bytes("使用台账", USAGE_COLUMNS, usage_rows(usages))
