"""Is a docked camera this agency's? (issue 19 §2, §4) A station imports only from a camera
whose serial is registered (and not written off) in the equipment ledger of its own agency —
the subtree of the top unit above the station's unit. A refused camera is kept as a
`CameraRefusal` (one open row per camera and station, counting repeated dockings), audited
under the station's name, and waits in the responsible administrator's 待办."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.equipment.models import Device, DeviceStatus, Station
from avrecords.org.models import Unit
from avrecords.stations.models import CameraRefusal

SERIAL_MAX_CHARS = 64
REFUSED_MESSAGE = "执法记录仪（序列号 {serial}）未在本单位登记，已拒绝导入并已报告管理员"


@dataclass(frozen=True)
class Check:
    """The answer for one docked camera."""

    serial: str
    device: Device | None = None
    holder: str | None = None  # who holds it now (his name), None if nobody
    holder_officer_no: str | None = None  # his 执法记录编号
    clock_offset_seconds: float | None = None  # camera minus platform, when its time was sent
    refusal: CameraRefusal | None = None

    @property
    def registered(self) -> bool:
        return self.device is not None

    @property
    def message(self) -> str:
        return "" if self.registered else REFUSED_MESSAGE.format(serial=self.serial)


def agency_root(unit: Unit) -> str:
    """The path of the top unit above `unit` (the agency whose ledger counts)."""
    return unit.path.split(".", 1)[0] + "."


def registered_device(station: Station, serial: str) -> Device | None:
    return (
        Device.objects.filter(
            serial__iexact=serial, unit__path__startswith=agency_root(station.unit)
        )
        .exclude(status=DeviceStatus.RETIRED)
        .first()
    )


def check_camera(
    station: Station, serial: str, *, camera_time: dt.datetime | None = None, ip: str = ""
) -> Check:
    """Accept or refuse a docked camera; the refusal is committed even though the station is
    answered with an error."""
    serial = serial.strip()[:SERIAL_MAX_CHARS]
    now = timezone.now()
    if camera_time is not None and timezone.is_naive(camera_time):
        camera_time = timezone.make_aware(camera_time)  # a camera keeps local time
    offset = (camera_time - now).total_seconds() if camera_time is not None else None
    device = registered_device(station, serial)
    with transaction.atomic():
        if device is None:
            return _refuse(station, serial, now, ip)
        custody = device.custodies.filter(ended_at__isnull=True).select_related("holder").first()
        holder = custody.holder if custody else None
        said = f"，时钟偏差 {offset:+.0f} 秒" if offset is not None else ""
        record(
            "station.camera_docked",
            obj=station,
            actor_label=station.audit_label,
            summary=f"采集站“{station.name}”接入执法记录仪（序列号 {device.serial}{said}）",
            detail={
                "serial": device.serial,
                "device": device.pk,
                "holder": holder.pk if holder else None,
                "clock_offset_seconds": offset,
            },
            ip=ip,
        )
    return Check(
        serial=device.serial,
        device=device,
        holder=holder.display_name if holder else None,
        holder_officer_no=(holder.officer_no or None) if holder else None,
        clock_offset_seconds=offset,
    )


def _refuse(station: Station, serial: str, now, ip: str) -> Check:
    reason = f"序列号 {serial} 未在“{station.unit.name}”所属单位的设备台账中登记（或已报废）"
    refusal = (
        CameraRefusal.objects.select_for_update()
        .filter(station=station, serial=serial, handled_at__isnull=True)
        .first()
    )
    if refusal is None:
        refusal = CameraRefusal.objects.create(
            station=station, serial=serial, at=now, last_at=now, reason=reason
        )
    else:
        refusal.last_at = now
        refusal.attempts += 1
        refusal.save(update_fields=["last_at", "attempts"])
    record(
        "station.camera_refused",
        obj=station,
        actor_label=station.audit_label,
        summary=f"采集站“{station.name}”拒绝导入执法记录仪（序列号 {serial}）：未在本单位登记",
        detail={"serial": serial, "refusal": refusal.pk, "attempts": refusal.attempts},
        ip=ip,
    )
    return Check(serial=serial, refusal=refusal)
