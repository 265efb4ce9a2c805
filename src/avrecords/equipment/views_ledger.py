"""Pages for the device registry (E1): register, edit, import and export devices; an
officer's 我的设备. The rules live in registry, ledger_io and custody; these parse the request
and show the answer. The usage ledgers (使用台账, E2) count recordings, so they are recordings'
pages (`recordings.views_usage`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from avrecords.audit.services import record
from avrecords.equipment import custody, ledger_io, registry
from avrecords.equipment.access import device_in_unit_scope, filter_devices
from avrecords.equipment.models import Device, DeviceKind
from avrecords.lib import form_errors
from avrecords.lib.http import attachment
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit
from avrecords.org.scope import can_manage_equipment, can_view_equipment
from avrecords.policies.schema import FEATURES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM_FIELDS = {  # form field → import column (the form is parsed like an import row)
    "serial": "产品序号",
    "kind": "设备类型",
    "unit": "所属单位代码",
    "asset_no": "资产编号",
    "brand_model": "品牌型号",
    "purchase_date": "购置日期",
    "status": "状态",
    "resolution": "分辨率",
    "battery_hours": "续航（小时）",
    "storage_gb": "存储（GB）",
    "note": "备注",
}


def _require_manager(user) -> None:
    require(can_manage_equipment(user))


def _managed_device_or_404(user, pk: int) -> Device:
    _require_manager(user)
    device = get_object_or_404(Device.objects.select_related("unit"), pk=pk)
    if not device_in_unit_scope(user, device):
        raise NotFound("设备不存在或不在您的管理范围内")
    return device


# ---- register and edit ----------------------------------------------------------------


def _form_input(request, device: Device | None = None):
    """(DeviceInput, every problem): the form is parsed as an import row, then checked."""
    row = {column: request.POST.get(name, "") for name, column in FORM_FIELDS.items()}
    for code, name in FEATURES.items():
        row[name] = "是" if request.POST.get(f"feature_{code}") else "否"
    if device is not None and device.status not in registry.SETTABLE_STATUSES:
        row["状态"] = ""  # shown read-only: repairs, losses and retirement are events
    units = ledger_io.unit_lookup(request.user)
    data, errors = ledger_io.row_input(row, units)
    if device is not None and device.status not in registry.SETTABLE_STATUSES:
        data.status = device.status
    return data, ledger_io.with_rules(request.user, data, errors, device=device)


def _values(device: Device) -> dict:
    specs = device.specs or {}
    values = {
        "serial": device.serial,
        "kind": device.kind,
        "unit": device.unit.code,
        "asset_no": device.asset_no,
        "brand_model": device.brand_model,
        "purchase_date": device.purchase_date.isoformat() if device.purchase_date else "",
        "status": device.status,
        "note": device.note,
        **{key: specs.get(key, "") for key in registry.NUMERIC_SPECS},
    }
    values.update({f"feature_{code}": specs.get(code) for code in FEATURES})
    return values


# The labels the registry's refusals name → the form's fields.
DEVICE_FIELD_LABELS = {
    **{label: name for name, label in registry.LABELS.items() if name != "specs"},
    **{label: name for name, (label, _) in registry.NUMERIC_SPECS.items()},
}


def _form(request, *, device=None, values=None, errors=(), status=200):
    settable = device is None or device.status in registry.SETTABLE_STATUSES
    return render(
        request,
        "equipment/device_form.html",
        {
            "nav": "equipment",
            "d": device,
            "values": values if values is not None else {},
            "errors": list(errors),
            "field_errors": form_errors.by_field(list(errors), DEVICE_FIELD_LABELS)[0],
            "units": Unit.objects.visible_to(request.user),
            "kinds": DeviceKind.choices,
            "statuses": [(s.value, s.label) for s in registry.SETTABLE_STATUSES],
            "status_settable": settable,
            "features": [
                (code, name, bool((values or {}).get(f"feature_{code}")))
                for code, name in FEATURES.items()
            ],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_new(request):
    _require_manager(request.user)
    if request.method == "GET":
        unit = request.user.unit.code if request.user.unit_id else ""
        return _form(request, values={"unit": unit, "kind": DeviceKind.BODY_CAMERA})
    data, errors = _form_input(request)
    try:
        if errors:
            raise registry.DeviceInvalid(errors)
        device = registry.register_device(request.user, data)
    except registry.DeviceInvalid as exc:
        return _form(request, values=request.POST, errors=exc.errors, status=422)
    messages.success(request, f"已登记设备：{device}")
    return redirect("equipment:device", pk=device.pk)


@login_required
@require_http_methods(["GET", "POST"])
def device_edit(request, pk: int):
    device = _managed_device_or_404(request.user, pk)
    if request.method == "GET":
        return _form(request, device=device, values=_values(device))
    data, errors = _form_input(request, device)
    try:
        if errors:
            raise registry.DeviceInvalid(errors)
        registry.update_device(request.user, device, data)
    except registry.DeviceInvalid as exc:
        device.refresh_from_db()
        return _form(request, device=device, values=request.POST, errors=exc.errors, status=422)
    messages.success(request, f"已保存设备：{device}")
    return redirect("equipment:device", pk=device.pk)


# ---- import and export ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def device_import(request):
    _require_manager(request.user)
    report, refused = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = "请选择要导入的文件"
        else:
            try:
                content = upload.read(ledger_io.MAX_FILE_BYTES + 1)
                report = ledger_io.import_file(request.user, upload.name, content)
            except ledger_io.ImportRefused as exc:
                refused = str(exc)
    status = 422 if refused or (report and report.errors) else 200
    return render(
        request,
        "equipment/device_import.html",
        {
            "nav": "equipment",
            "report": report,
            "refused": refused,
            "columns": ledger_io.COLUMNS,
            "required": ledger_io.REQUIRED,
            "kinds": DeviceKind.labels,
            "max_rows": ledger_io.MAX_ROWS,
        },
        status=status,
    )


@login_required
@require_GET
def device_export(request):
    require(can_view_equipment(request.user))
    devices = filter_devices(request.user, request.GET)
    content = ledger_io.export_devices(devices)
    filters = {k: request.GET[k] for k in ("unit", "kind", "status", "q") if request.GET.get(k)}
    record(
        "equipment.export",
        actor=request.user,
        summary=f"导出设备台账（{devices.count()} 台）",
        detail={"view": "device_export", "format": "xlsx", "filters": filters},
    )
    name = f"设备台账-{timezone.localdate():%Y%m%d}.xlsx"
    return attachment(content, name, XLSX)


@login_required
@require_GET
def my_devices(request):
    return render(
        request,
        "equipment/my_devices.html",
        {"nav": "equipment", "held": custody.held_now(request.user)},
    )
