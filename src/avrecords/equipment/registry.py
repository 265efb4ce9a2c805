"""Registering and editing devices in the equipment ledger (E1).

Every check is run before anything is written and all problems are reported at once, as
Chinese messages an administrator can act on (the import names them per row). Status here
only moves between 在用 and 备用: repairs, losses and retirement are device events with their
own service, so that each such change has its event and its audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

from django.db import IntegrityError, transaction
from django.utils import timezone

from avrecords import panels
from avrecords.audit.services import record
from avrecords.equipment.access import device_in_unit_scope
from avrecords.equipment.models import Custody, Device, DeviceKind, DeviceStatus
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.models import Unit
from avrecords.org.scope import can_manage_equipment
from avrecords.policies.schema_values import FEATURES

# GA/T 947: the product serial of a body-worn recorder is 7 letters or digits; it is also
# the device part of every file name the recorder writes.
BODY_CAMERA_SERIAL_RE = re.compile(r"^[A-Za-z0-9]{7}$")
SETTABLE_STATUSES = (DeviceStatus.IN_SERVICE, DeviceStatus.SPARE)
NUMERIC_SPECS = {  # key → (Chinese name, type)
    "resolution": ("分辨率", int),
    "battery_hours": ("续航（小时）", float),
    "storage_gb": ("存储（GB）", int),
}
MAX_LENGTHS = {"serial": 64, "asset_no": 64, "brand_model": 100, "note": 300}
LABELS = {
    "serial": "产品序号",
    "kind": "设备类型",
    "asset_no": "资产编号",
    "brand_model": "品牌型号",
    "purchase_date": "购置日期",
    "unit": "所属单位",
    "status": "状态",
    "specs": "技术参数",
    "note": "备注",
}


class DeviceInvalid(Invalid, ValueError):
    """The device as entered breaks one or more rules (422); `errors` lists them all."""

    def __init__(self, errors: list[str]):
        super().__init__(reasons=errors)
        self.errors = errors


@dataclass
class DeviceInput:
    """What an administrator enters for a device (form, import row or API)."""

    serial: str
    kind: str
    unit: Unit | None
    asset_no: str = ""
    brand_model: str = ""
    purchase_date: dt.date | None = None
    status: str = DeviceStatus.IN_SERVICE
    specs: dict = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("serial", "kind", "asset_no", "brand_model", "status", "note"):
            setattr(self, name, (getattr(self, name) or "").strip())

    @classmethod
    def from_device(cls, device: Device) -> DeviceInput:
        return cls(**{f.name: getattr(device, f.name) for f in fields(cls)})


def check_specs(specs) -> list[str]:
    """Problems with a specs dict: numbers where numbers belong, 是/否 for features."""
    if not isinstance(specs, dict):
        return ["技术参数格式错误"]
    errors = []
    for key, value in specs.items():
        if key in NUMERIC_SPECS:
            name, kind = NUMERIC_SPECS[key]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not is_number or (kind is int and value != int(value)):
                wanted = "整数" if kind is int else "数字"
                errors.append(f"{name}“{value}”应为{wanted}")
            elif value <= 0:
                errors.append(f"{name}应大于 0")
        elif key in FEATURES:
            if not isinstance(value, bool):
                errors.append(f"{FEATURES[key]}应为“是”或“否”")
        else:
            errors.append(f"技术参数：未知项“{key}”")
    return errors


@dataclass
class Known:
    """What the checks look up, loaded once for a bulk import rather than queried per row
    (a case-insensitive serial lookup cannot use the unique index: per row it would scan)."""

    unit_ids: set[int]
    serials: set[str]  # upper-cased
    asset_nos: set[str]

    @classmethod
    def load(cls, actor) -> Known:
        return cls(
            unit_ids=set(Unit.objects.visible_to(actor).values_list("pk", flat=True)),
            serials={s.upper() for s in Device.objects.values_list("serial", flat=True)},
            asset_nos=set(Device.objects.exclude(asset_no="").values_list("asset_no", flat=True)),
        )

    def add(self, device: Device) -> None:
        self.serials.add(device.serial.upper())
        if device.asset_no:
            self.asset_nos.add(device.asset_no)


def check(actor, data: DeviceInput, device: Device | None = None, *, known=None) -> list[str]:
    """Every problem with `data` (registering when `device` is None, else editing it).
    `known`: for registering many devices at once (import), see Known."""
    errors: list[str] = []
    if not data.serial:
        errors.append("产品序号不能为空")
    elif data.kind == DeviceKind.BODY_CAMERA and not BODY_CAMERA_SERIAL_RE.match(data.serial):
        errors.append(f"产品序号“{data.serial}”应为7位字母或数字（GA/T 947）")
    elif _serial_taken(data.serial, device, known):
        errors.append(f"产品序号“{data.serial}”已登记")
    elif (
        device is not None and data.serial.upper() != device.serial.upper() and _has_history(device)
    ):
        errors.append(
            f"设备 {device.serial} 已有领用记录或音像记录，产品序号不能修改"
            "（导入时按序号识别设备）；如登记有误，请报废后重新登记"
        )
    if data.kind not in DeviceKind.values:
        errors.append(f"设备类型“{data.kind}”不存在" if data.kind else "设备类型不能为空")
    if data.asset_no and _asset_no_taken(data.asset_no, device, known):
        errors.append(f"资产编号“{data.asset_no}”已被其他设备使用")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(data, name)) > limit:
            errors.append(f"{LABELS[name]}不能超过 {limit} 个字符")
    if data.purchase_date and data.purchase_date > timezone.localdate():
        errors.append(f"购置日期 {data.purchase_date:%Y-%m-%d} 晚于今天")
    if data.unit is None:
        errors.append("所属单位不能为空")
    else:
        if known is not None:
            allowed = data.unit.pk in known.unit_ids
        else:
            allowed = Unit.objects.visible_to(actor).filter(pk=data.unit.pk).exists()
        if not allowed:
            errors.append(f"所属单位“{data.unit.name}”不在您的管理范围内")
        elif data.unit.retired_at is not None and (
            device is None or device.unit_id != data.unit.pk
        ):
            errors.append(f"所属单位“{data.unit.name}”已撤销，不能登记新设备或调入设备")
    errors += _status_errors(data.status, device)
    errors += check_specs(data.specs)
    return errors


def _has_history(device: Device) -> bool:
    """It has been issued, or it has recorded (recordings answers: `panels.DEVICE_RECORDINGS`)."""
    return device.custodies.exists() or panels.DEVICE_RECORDINGS.made_any(device)


def _serial_taken(serial: str, device: Device | None, known: Known | None) -> bool:
    if known is not None and device is None:
        return serial.upper() in known.serials
    qs = Device.objects.filter(serial__iexact=serial)
    return (qs.exclude(pk=device.pk) if device is not None else qs).exists()


def _asset_no_taken(asset_no: str, device: Device | None, known: Known | None) -> bool:
    if known is not None and device is None:
        return asset_no in known.asset_nos
    qs = Device.objects.filter(asset_no=asset_no)
    return (qs.exclude(pk=device.pk) if device is not None else qs).exists()


def _status_errors(status: str, device: Device | None) -> list[str]:
    if device is not None and status == device.status:
        return []
    if status not in SETTABLE_STATUSES:
        return ["状态只能为“在用”或“备用”（送修、遗失、报废请登记设备事项）"]
    if device is None:
        return []
    if device.status not in SETTABLE_STATUSES:
        return [f"设备当前为“{device.get_status_display()}”，不能在此修改状态"]
    if status == DeviceStatus.SPARE:
        custody = Custody.objects.filter(device=device, ended_at__isnull=True).first()
        if custody is not None:
            return [f"设备已由{custody.holder.display_name}领用，归还后才能改为备用"]
    return []


def require_manager(actor, device: Device | None = None) -> None:
    if not can_manage_equipment(actor):
        raise Forbidden("您没有管理设备台账的权限")
    if device is not None and not device_in_unit_scope(actor, device):
        raise Forbidden("设备不在您的管理范围内")


def _snapshot(device: Device) -> dict:
    values = {}
    for name in LABELS:
        value = getattr(device, "unit_id" if name == "unit" else name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def register_device(actor, data: DeviceInput, *, known: Known | None = None) -> Device:
    """Enter a new device in the ledger; raises DeviceInvalid listing every problem."""
    require_manager(actor)
    if errors := check(actor, data, known=known):
        raise DeviceInvalid(errors)
    try:
        with transaction.atomic():
            device = Device.objects.create(**{f.name: getattr(data, f.name) for f in fields(data)})
            record(
                "device.register",
                actor=actor,
                obj=device,
                summary=f"登记设备 {device.get_kind_display()} {device.serial}（{device.unit.name}）",
                detail=_snapshot(device),
            )
    except IntegrityError as exc:  # a concurrent registration of the same serial or asset no
        raise DeviceInvalid([f"产品序号“{data.serial}”或资产编号已登记"]) from exc
    if known is not None:
        known.add(device)
    return device


def update_device(actor, device: Device, data: DeviceInput) -> Device:
    """Change a device's ledger entry; the audit entry lists each changed field old → new."""
    require_manager(actor, device)
    if errors := check(actor, data, device):
        raise DeviceInvalid(errors)
    before = _snapshot(device)
    for f in fields(data):
        setattr(device, f.name, getattr(data, f.name))
    after = _snapshot(device)
    changed = {name: [before[name], after[name]] for name in LABELS if before[name] != after[name]}
    if not changed:
        return device
    try:
        with transaction.atomic():
            device.save()
            record(
                "device.update",
                actor=actor,
                obj=device,
                summary=f"修改设备 {device.serial}：{'、'.join(LABELS[n] for n in changed)}",
                detail={"changed": changed},
            )
    except IntegrityError as exc:
        device.refresh_from_db()
        raise DeviceInvalid([f"产品序号“{data.serial}”或资产编号已登记"]) from exc
    return device
