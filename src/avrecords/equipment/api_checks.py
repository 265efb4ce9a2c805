"""JSON API for the pre-use check (E7), for a collection station or a handheld app.

`POST /devices/{serial}/checks` records one check; `GET` lists the device's recent checks.
A device the user may not see is answered 404 like one that does not exist (X2)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema, Status

from avrecords.equipment import checks
from avrecords.equipment.models import Device, PreUseCheck
from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.refusals import NotFound

router = Router(tags=["设备使用前检查"])
RECENT_CHECKS = 50


class CheckIn(Schema):
    works: bool  # 设备无故障
    battery_ok: bool  # 电量充足
    storage_ok: bool  # 存储空间充足
    clock_ok: bool  # 时间已校准
    battery_percent: int | None = None
    free_storage_gb: float | None = None
    clock_offset_seconds: int | None = None  # device minus station, + = device fast
    note: str = ""
    checked_at: dt.datetime | None = None  # when made, if sent later; default now


class CheckOut(Schema):
    id: int
    serial: str
    checked_on: dt.date
    checked_at: dt.datetime
    checked_by: str
    works: bool
    battery_ok: bool
    storage_ok: bool
    clock_ok: bool
    passed: bool
    failed_items: list[str]
    battery_percent: int | None
    free_storage_gb: float | None
    clock_offset_seconds: int | None
    note: str
    source: str

    @staticmethod
    def resolve_serial(obj: PreUseCheck) -> str:
        return obj.device.serial

    @staticmethod
    def resolve_checked_by(obj: PreUseCheck) -> str:
        return obj.checked_by.display_name

    @staticmethod
    def resolve_failed_items(obj: PreUseCheck) -> list[str]:
        return checks.failed_items(obj)


def _device(request, serial: str) -> Device:
    device = Device.objects.visible_to(request.user).filter(serial__iexact=serial).first()
    if device is None:
        raise NotFound("未找到设备")
    return device


@router.post(
    "/{serial}/checks",
    response={201: CheckOut, 401: Error, 403: Error, 404: Error, 422: Invalid},
    summary="登记一次使用前检查",
)
def create_check(request, serial: str, body: CheckIn):
    device = _device(request, serial)
    checked_at = body.checked_at
    if checked_at is not None and timezone.is_naive(checked_at):
        checked_at = timezone.make_aware(checked_at)  # a station's local (Beijing) time
    check = checks.record_check(
        request.user,
        device,
        **body.dict(exclude={"checked_at"}),
        source=PreUseCheck.Source.API,
        when=checked_at,
    )
    return Status(201, check)


@router.get(
    "/{serial}/checks",
    response={200: list[CheckOut], 401: Error, 404: Error},
    summary="设备最近的使用前检查",
)
def list_checks(request, serial: str):
    device = _device(request, serial)
    return list(
        device.checks.select_related("device", "checked_by").order_by("-checked_at", "-pk")[
            :RECENT_CHECKS
        ]
    )
