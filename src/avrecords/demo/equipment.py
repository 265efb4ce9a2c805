"""The demo agency's equipment ledger (E1–E7): specs on the cameras, a spare below the
standard, a handheld terminal and a photo camera, a repair history and this morning's
pre-use checks, so every part of 设备台账 has something to show."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from avrecords.equipment import events
from avrecords.equipment.models import (
    Custody,
    Device,
    DeviceKind,
    DeviceStatus,
    EventKind,
    PreUseCheck,
)
from avrecords.org.models import Role, Unit, User

GOOD = {
    "resolution": 1080,
    "battery_hours": 10,
    "storage_gb": 64,
    "tamper_proof": True,
    "encryption": True,
    "gps": True,
    "night_vision": True,
}
OLD = {"resolution": 720, "battery_hours": 4, "storage_gb": 16, "tamper_proof": False}


def load(squads: list[Unit], officers: list[User]) -> None:
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    now = timezone.now()
    bought = dt.date(2025, 3, 18)
    for device in Device.objects.filter(kind=DeviceKind.BODY_CAMERA):
        device.specs, device.purchase_date = GOOD, bought
        device.save(update_fields=["specs", "purchase_date"])
    Device.objects.create(
        serial="3509001",
        kind=DeviceKind.BODY_CAMERA,
        unit=squads[1],
        asset_no="ZC-2019-014",
        brand_model="执法通 A3",
        purchase_date=dt.date(2019, 6, 1),
        status=DeviceStatus.SPARE,
        specs=OLD,
        note="2019年购置，电池老化",
    )
    terminal = Device.objects.create(
        serial="HT-0101",
        kind=DeviceKind.HANDHELD,
        unit=squads[0],
        asset_no="ZC-2026-101",
        brand_model="移动执法终端 M5",
        purchase_date=bought,
        status=DeviceStatus.SPARE,
        specs={**GOOD, "wireless_upload": True},
    )
    Device.objects.create(
        serial="DC-0201",
        kind=DeviceKind.CAMERA,
        unit=squads[1],
        asset_no="ZC-2024-033",
        brand_model="佳能 EOS R8",
        purchase_date=dt.date(2024, 4, 2),
        status=DeviceStatus.SPARE,
    )
    events.record_event(
        admin,
        terminal,
        EventKind.REPAIR,
        vendor="厂家售后",
        note="触摸屏失灵",
        when=now - dt.timedelta(days=20),
    )
    events.record_event(
        admin, terminal, EventKind.REPAIRED, note="更换触摸屏", when=now - dt.timedelta(days=12)
    )
    Device.objects.filter(pk=terminal.pk).update(status=DeviceStatus.SPARE)
    today = timezone.localdate()
    for custody in Custody.objects.filter(ended_at__isnull=True, device__unit=squads[0]):
        PreUseCheck.objects.create(
            device=custody.device,
            checked_by=custody.holder,
            checked_on=today,
            checked_at=now,
            works=True,
            battery_ok=True,
            storage_ok=True,
            clock_ok=True,
            battery_percent=96,
            free_storage_gb=41.5,
        )
