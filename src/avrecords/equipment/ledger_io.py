"""The administrators' device ledger (设备台账, E1) as an Excel sheet: export and bulk import.

The export is the sheet administrators keep today; the import reads the same columns back
(also from CSV, UTF-8 or GBK). Only 产品序号, 设备类型 and 所属单位代码 are required; 所属单位,
当前使用人 and 领用时间 are informative and ignored on import (custody has its own service).
All or nothing: every row is checked first, each problem named by its row ("第 4 行：…"),
and only a file without errors is registered, in one transaction. A row whose serial is
already registered is skipped and listed (re-importing an export changes nothing); it is never
silently updated — changes to a registered device are made on its page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.equipment import registry
from avrecords.equipment.models import Custody, Device, DeviceKind, DeviceStatus
from avrecords.lib import sheets
from avrecords.lib.sheets import append_row
from avrecords.org.models import Unit
from avrecords.policies.schema_values import FEATURES

SPEC_COLUMNS = {"分辨率": "resolution", "续航（小时）": "battery_hours", "存储（GB）": "storage_gb"}
FEATURE_COLUMNS = {name: code for code, name in FEATURES.items()}
COLUMNS = [
    "资产编号",
    "设备类型",
    "产品序号",
    "品牌型号",
    "购置日期",
    "所属单位代码",
    "所属单位",
    "状态",
    *SPEC_COLUMNS,
    *FEATURE_COLUMNS,
    "当前使用人",
    "领用时间",
    "备注",
]
REQUIRED = ["产品序号", "设备类型", "所属单位代码"]
MAX_ROWS = 5000
MAX_FILE_BYTES = sheets.MAX_FILE_BYTES
ImportRefused = sheets.SheetRefused  # the file as a whole is refused; nothing imported
IMPORT_STATUSES = {
    "": DeviceStatus.IN_SERVICE,
    DeviceStatus.IN_SERVICE.label: DeviceStatus.IN_SERVICE,
    DeviceStatus.SPARE.label: DeviceStatus.SPARE,
    DeviceStatus.IN_SERVICE.value: DeviceStatus.IN_SERVICE,
    DeviceStatus.SPARE.value: DeviceStatus.SPARE,
}
KINDS = {**{k.label: k.value for k in DeviceKind}, **{k.value: k.value for k in DeviceKind}}
YES = {"是", "有", "y", "yes", "true", "1", "√"}
NO = {"否", "无", "n", "no", "false", "0", "×"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")

__all__ = ["COLUMNS", "REQUIRED", "ImportRefused", "ImportReport", "MAX_FILE_BYTES", "MAX_ROWS"]


@dataclass
class ImportReport:
    imported: list[Device] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # rows whose serial is already registered


# ---- export ---------------------------------------------------------------------------


def with_holders(devices: QuerySet[Device]) -> QuerySet[Device]:
    """The devices with their unit and open custody (as `open_custodies`) fetched in bulk."""
    open_custodies = Custody.objects.filter(ended_at__isnull=True).select_related("holder")
    return devices.select_related("unit").prefetch_related(
        Prefetch("custodies", queryset=open_custodies, to_attr="open_custodies")
    )


def local_text(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def device_row(device: Device) -> list:
    specs = device.specs or {}
    custody = device.open_custodies[0] if device.open_custodies else None
    features = ["" if code not in specs else ("是" if specs[code] else "否") for code in FEATURES]
    return [
        device.asset_no,
        device.get_kind_display(),
        device.serial,
        device.brand_model,
        device.purchase_date,
        device.unit.code,
        device.unit.name,
        device.get_status_display(),
        *(specs.get(key, "") for key in SPEC_COLUMNS.values()),
        *features,
        custody.holder.display_name if custody else "",
        local_text(custody.started_at) if custody else "",
        device.note,
    ]


def workbook_bytes(title: str, header: list[str], rows, *, widths: dict[int, int] | None = None):
    """An .xlsx with one sheet: a bold, frozen header row, then `rows`. Text cells stay text
    (a serial such as 0012345 keeps its zeros; a note beginning with "=" is no formula);
    dates are written as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        append_row(sheet, row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, name in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = (widths or {}).get(
            index, max(10, len(name) * 2 + 2)
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_devices(devices: QuerySet[Device]) -> bytes:
    """The device ledger sheet (设备台账) for the given devices."""
    rows = (device_row(d) for d in with_holders(devices).order_by("unit__path", "kind", "serial"))
    return workbook_bytes("设备台账", COLUMNS, rows)


# ---- import ---------------------------------------------------------------------------


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps numbers as floats: 3501001.0 is the serial 3501001
    return "" if value is None else str(value).strip()


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.split(" ")[0], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"购置日期“{text}”无法识别，应为 2024-03-01")


def _number(column: str, value, kind):
    text = _text(value)
    if column == "分辨率":
        text = text.upper().removesuffix("P")  # 1080P
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{column}“{_text(value)}”应为数字") from None
    if kind is int:
        if not number.is_integer():
            raise ValueError(f"{column}“{_text(value)}”应为整数")
        return int(number)
    return number


def row_input(row: dict, units: dict[str, Unit]) -> tuple[registry.DeviceInput, list[str]]:
    """(DeviceInput, parse errors) from one row of cells keyed by Chinese column names."""
    errors: list[str] = []
    code = _text(row.get("所属单位代码"))
    unit = units.get(code)
    if not code:
        errors.append("所属单位代码不能为空")
    elif unit is None:
        errors.append(f"所属单位代码“{code}”不存在或不在您的管理范围内")
    kind_text = _text(row.get("设备类型"))
    status_text = _text(row.get("状态"))
    status = IMPORT_STATUSES.get(status_text, status_text)
    if status_text and status_text not in IMPORT_STATUSES:
        errors.append(f"状态“{status_text}”不能在此登记（只能为“在用”或“备用”）")
        status = DeviceStatus.IN_SERVICE
    purchase_date = None
    try:
        purchase_date = _date(row.get("购置日期"))
    except ValueError as exc:
        errors.append(str(exc))
    specs: dict = {}
    for column, key in SPEC_COLUMNS.items():
        if _text(row.get(column)):
            try:
                specs[key] = _number(column, row.get(column), registry.NUMERIC_SPECS[key][1])
            except ValueError as exc:
                errors.append(str(exc))
    for column, code_ in FEATURE_COLUMNS.items():
        answer = _text(row.get(column)).lower()
        if answer in YES:
            specs[code_] = True
        elif answer in NO:
            specs[code_] = False
        elif answer:
            errors.append(f"{column}“{_text(row.get(column))}”应填“是”或“否”")
    data = registry.DeviceInput(
        serial=_text(row.get("产品序号")),
        kind=KINDS.get(kind_text, kind_text),
        unit=unit,
        asset_no=_text(row.get("资产编号")),
        brand_model=_text(row.get("品牌型号")),
        purchase_date=purchase_date,
        status=status,
        specs=specs,
        note=_text(row.get("备注")),
    )
    return data, errors


def with_rules(actor, data, parse_errors: list[str], *, device=None, known=None):
    """The parse errors followed by the registry's rules for `data` (register or edit)."""
    problems = registry.check(actor, data, device, known=known)
    if data.unit is None:  # already said by the parse, with the code the user typed
        problems = [p for p in problems if p != "所属单位不能为空"]
    return parse_errors + problems


def check_row(actor, row: dict, units: dict[str, Unit], known: registry.Known):
    """(DeviceInput, every problem with the row): parse errors, then the registry's rules."""
    data, errors = row_input(row, units)
    return data, with_rules(actor, data, errors, known=known)


def unit_lookup(actor) -> dict[str, Unit]:
    return {u.code: u for u in Unit.objects.visible_to(actor)}


def import_rows(actor, rows: list[dict], *, source_name: str) -> ImportReport:
    """Register every row, or none: the report lists each bad row's problems."""
    registry.require_manager(actor)
    report = ImportReport()
    units = unit_lookup(actor)
    known = registry.Known.load(actor)
    ready: list[registry.DeviceInput] = []
    serials: dict[str, int] = {}
    asset_nos: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not row:
            continue
        if _text(row.get("产品序号")).upper() in known.serials:
            report.skipped.append(number)
            continue
        data, errors = check_row(actor, row, units, known)
        if data.serial and (first := serials.setdefault(data.serial.upper(), number)) != number:
            errors.append(f"产品序号“{data.serial}”与第 {first} 行重复")
        if data.asset_no and (first := asset_nos.setdefault(data.asset_no, number)) != number:
            errors.append(f"资产编号“{data.asset_no}”与第 {first} 行重复")
        report.errors += [f"第 {number} 行：{e}" for e in errors]
        if not errors:
            ready.append(data)
    if not ready and not report.errors and not report.skipped:
        report.errors.append("文件中没有设备")
    if report.errors:
        return report
    if not ready:
        return report
    try:
        with transaction.atomic():
            for data in ready:
                report.imported.append(registry.register_device(actor, data, known=known))
            record(
                "device.import",
                actor=actor,
                summary=f"批量导入设备 {len(report.imported)} 台（{source_name}）",
                detail={"file": source_name, "imported": len(report.imported)},
            )
    except registry.DeviceInvalid as exc:  # registered by someone else meanwhile: none kept
        return ImportReport(errors=exc.errors)
    return report


def import_file(actor, name: str, data: bytes) -> ImportReport:
    """Read an uploaded .xlsx/.csv and import it; ImportRefused if the file itself is unusable."""
    rows = sheets.read_table(name, data, columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS)
    return import_rows(actor, rows, source_name=name)
