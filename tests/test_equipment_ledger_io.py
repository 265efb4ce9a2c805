"""E1: the device ledger (设备台账) exported to Excel and imported back, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from avrecords.audit.models import AuditEntry
from avrecords.equipment import ledger_io
from avrecords.equipment.ledger_io import ImportRefused, export_devices, import_file
from avrecords.equipment.models import Device
from avrecords.org.models import Unit

pytestmark = pytest.mark.django_db
HEADER = ["资产编号", "设备类型", "产品序号", "品牌型号", "购置日期", "所属单位代码", "状态"]
HEADER += ["分辨率", "续航（小时）", "存储（GB）", "GPS定位", "防爆", "备注"]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


GOOD = [
    ["ZC-001", "执法记录仪", "3501101", "海康 DSJ-A7", dt.date(2025, 3, 1), "T350200-01", "在用"]
    + [1080, 10, 64, "是", "否", "新购"],
    ["ZC-002", "body_camera", "3501102", "", "2025/3/2", "T350200-01", "备用"]
    + ["1080P", "", "", "", "", ""],
    ["", "视频监控", "HIK-DS-2CD3T46", "海康", "", "T350200-01", ""] + [""] * 6,
]


def test_a_good_sheet_is_imported_with_one_audit_entry_and_one_per_device(org):
    report = import_file(org.admin, "台账.xlsx", xlsx([HEADER, *GOOD]))
    assert report.errors == []
    assert len(report.imported) == 3
    first = Device.objects.get(serial="3501101")
    assert (first.kind, first.unit, first.purchase_date, first.note) == (
        "body_camera",
        org.squad1,
        dt.date(2025, 3, 1),
        "新购",
    )
    assert first.specs == {
        "resolution": 1080,
        "battery_hours": 10.0,
        "storage_gb": 64,
        "gps": True,
        "explosion_proof": False,
    }
    second = Device.objects.get(serial="3501102")
    assert (second.status, second.purchase_date, second.specs) == (
        "spare",
        dt.date(2025, 3, 2),
        {"resolution": 1080},
    )
    assert Device.objects.get(serial="HIK-DS-2CD3T46").kind == "fixed_camera"
    assert AuditEntry.objects.filter(action="device.register").count() == 3
    entry = AuditEntry.objects.get(action="device.import")
    assert entry.detail == {"file": "台账.xlsx", "imported": 3}


def test_bad_rows_import_nothing_and_each_is_named(org):
    rows = [
        HEADER,
        GOOD[0],
        ["ZC-003", "执法记录仪", "AB12", "", "", "T350200-01", ""] + [""] * 6,  # row 3
        ["ZC-004", "无人机", "3501104", "", "2099-01-01", "T350200-02", "维修中"]
        + ["高清", "", "", "有点", "", ""],  # row 4
        ["ZC-001", "执法记录仪", "3501101", "", "昨天", "NOPE", ""] + [""] * 6,  # row 5
        [None] * 13,  # an empty row keeps the numbering
        ["", "执法记录仪", "3501001", "", "", "", ""] + [""] * 6,  # row 7: registered
    ]
    report = import_file(org.admin, "台账.xlsx", xlsx(rows))
    assert report.imported == []
    assert report.errors == [
        "第 3 行：产品序号“AB12”应为7位字母或数字（GA/T 947）",
        "第 4 行：所属单位代码“T350200-02”不存在或不在您的管理范围内",
        "第 4 行：状态“维修中”不能在此登记（只能为“在用”或“备用”）",
        "第 4 行：分辨率“高清”应为数字",
        "第 4 行：GPS定位“有点”应填“是”或“否”",
        "第 4 行：设备类型“无人机”不存在",
        "第 4 行：购置日期 2099-01-01 晚于今天",
        "第 5 行：所属单位代码“NOPE”不存在或不在您的管理范围内",
        "第 5 行：购置日期“昨天”无法识别，应为 2024-03-01",
        "第 5 行：产品序号“3501101”与第 2 行重复",
        "第 5 行：资产编号“ZC-001”与第 2 行重复",
    ]
    assert report.skipped == [7]  # already in the ledger: skipped, never checked or updated
    assert not Device.objects.filter(serial="3501101").exists()
    assert not AuditEntry.objects.filter(action__in=["device.import", "device.register"]).exists()


def test_a_gbk_csv_is_read(org):
    text = "产品序号,设备类型,所属单位代码,品牌型号\r\n3501201,执法记录仪,T350200-01,华为记录仪\r\n"
    report = import_file(org.admin, "旧台账.csv", text.encode("gbk"))
    assert report.errors == []
    assert Device.objects.get(serial="3501201").brand_model == "华为记录仪"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xlsx", b"not a zip", "无法读取 Excel 文件（文件损坏或不是 .xlsx）"),
        ("a.pdf", b"%PDF", "只支持 .xlsx 或 .csv 文件"),
        ("a.csv", "产品序号,设备类型\n".encode(), "缺少列：所属单位代码（第一行须为列名）"),
        ("a.csv", b"\xff\xfe\x00\xd8", "CSV 文件编码无法识别（请用 UTF-8 或 GBK）"),
        ("a.csv", b"x" * (ledger_io.MAX_FILE_BYTES + 1), "文件过大（上限 10 MB）"),
    ],
)
def test_an_unusable_file_is_refused_whole(org, name, content, message):
    with pytest.raises(ImportRefused) as caught:
        import_file(org.admin, name, content)
    assert str(caught.value) == message


def test_more_than_the_row_limit_is_refused(org, monkeypatch):
    monkeypatch.setattr("avrecords.equipment.ledger_io.MAX_ROWS", 2)
    rows = "产品序号,设备类型,所属单位代码\n" + "3501301,执法记录仪,T350200-01\n" * 3
    with pytest.raises(ImportRefused, match="一次最多导入 2 行"):
        import_file(org.admin, "a.csv", rows.encode())


def test_a_sheet_without_devices_is_an_error(org):
    assert import_file(org.admin, "a.csv", "产品序号,设备类型,所属单位代码\n".encode()).errors == [
        "文件中没有设备"
    ]


def test_the_export_lists_the_ledger_columns_and_the_current_holder(org):
    org.camera.asset_no, org.camera.specs = "ZC-9", {"resolution": 1080, "night_vision": True}
    org.camera.save()
    rows = sheet_rows(export_devices(Device.objects.filter(unit=org.squad1)))
    assert rows[0] == ledger_io.COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["资产编号"] == "ZC-9" and row["产品序号"] == "3501001"
    assert (row["设备类型"], row["所属单位代码"], row["所属单位"], row["状态"]) == (
        "执法记录仪",
        "T350200-01",
        "执法一中队",
        "在用",
    )
    assert (row["分辨率"], row["红外夜视"], row["GPS定位"]) == (1080, "是", None)
    assert (row["当前使用人"], row["领用时间"]) == ("张伟", "2026-01-01 08:00")
    assert len(rows) == 2


def test_an_export_imports_back_into_a_fresh_unit_unchanged(org):
    import_file(org.admin, "台账.xlsx", xlsx([HEADER, *GOOD]))
    devices = Device.objects.filter(serial__in=["3501101", "3501102", "HIK-DS-2CD3T46"])
    before = {
        d.serial: (d.kind, d.asset_no, d.brand_model, d.purchase_date, d.status, d.specs, d.note)
        for d in devices
    }
    content = export_devices(devices)
    fresh = Unit.objects.create(name="执法三中队", code="T350200-03", parent=org.bureau)
    rows = sheet_rows(content)
    code_column = rows[0].index("所属单位代码")
    for row in rows[1:]:
        row[code_column] = fresh.code
    Device.objects.filter(pk__in=[d.pk for d in devices]).delete()
    report = import_file(org.bureau_admin, "导出.xlsx", xlsx(rows))
    assert report.errors == []
    after = {
        d.serial: (d.kind, d.asset_no, d.brand_model, d.purchase_date, d.status, d.specs, d.note)
        for d in Device.objects.filter(unit=fresh)
    }
    assert after == before


def test_re_importing_the_unchanged_export_skips_every_row_and_changes_nothing(org):
    """The export offers itself as the import template: sending it back must be harmless,
    even with devices lost or retired (statuses an import may not set)."""
    from avrecords.equipment.ledger_io import export_devices

    Device.objects.filter(pk=org.camera2.pk).update(status="lost")
    before = list(Device.objects.order_by("pk").values())
    report = import_file(org.admin, "导出.xlsx", export_devices(Device.objects.all()))
    assert (report.errors, report.imported) == ([], [])
    assert len(report.skipped) == 2
    assert list(Device.objects.order_by("pk").values()) == before
