"""E1/E2: registering and editing devices, the usage ledger, its PDF, and the registry pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.equipment.custody import held_now, issue_device, return_device
from avrecords.equipment.models import Device, DeviceKind, DeviceStatus
from avrecords.equipment.registry import DeviceInput, DeviceInvalid, register_device, update_device
from avrecords.lib.pdf import render_pdf
from avrecords.policies.schema import FEATURES
from avrecords.recordings.usage import device_usage, person_usage
from tests.conftest import client_for
from tests.pdf_streams import decoded
from tests.rows import make
from tests.test_equipment_ledger_io import sheet_rows

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def camera_input(org, **changes) -> DeviceInput:
    values = {
        "serial": "3501777",
        "kind": DeviceKind.BODY_CAMERA,
        "unit": org.squad1,
        "asset_no": "ZC-2026-001",
        "brand_model": "海康 DSJ-A7",
        "purchase_date": dt.date(2025, 6, 1),
        "specs": {"resolution": 1080, "battery_hours": 10.5, "storage_gb": 64, "gps": True},
    }
    values.update(changes)
    return DeviceInput(**values)


def errors_of(actor, data, device=None) -> list[str]:
    with pytest.raises(DeviceInvalid) as caught:
        if device is None:
            register_device(actor, data)
        else:
            update_device(actor, device, data)
    return caught.value.errors


# ---- register -------------------------------------------------------------------------


def test_it_registers_a_device_with_its_specs_and_audits_it(org):
    device = register_device(org.admin, camera_input(org))
    device.refresh_from_db()
    assert (device.serial, device.unit, device.status) == ("3501777", org.squad1, "in_service")
    assert device.specs["battery_hours"] == 10.5 and device.specs["gps"] is True
    entry = AuditEntry.objects.get(action="device.register")
    assert entry.object_id == str(device.pk) and entry.detail["serial"] == "3501777"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"serial": ""}, "产品序号不能为空"),
        ({"serial": "AB12"}, "产品序号“AB12”应为7位字母或数字（GA/T 947）"),
        ({"serial": "35-0177"}, "产品序号“35-0177”应为7位字母或数字（GA/T 947）"),
        ({"kind": "drone"}, "设备类型“drone”不存在"),
        (
            {"status": DeviceStatus.REPAIR},
            "状态只能为“在用”或“备用”（送修、遗失、报废请登记设备事项）",
        ),
        ({"unit": None}, "所属单位不能为空"),
        ({"note": "长" * 301}, "备注不能超过 300 个字符"),
        ({"specs": {"resolution": "1080p"}}, "分辨率“1080p”应为整数"),
        ({"specs": {"resolution": 1080.5}}, "分辨率“1080.5”应为整数"),
        ({"specs": {"battery_hours": 0}}, "续航（小时）应大于 0"),
        ({"specs": {"storage_gb": True}}, "存储（GB）“True”应为整数"),
        ({"specs": {"gps": "是"}}, "GPS定位应为“是”或“否”"),
        ({"specs": {"zoom": 3}}, "技术参数：未知项“zoom”"),
        ({"specs": [1080]}, "技术参数格式错误"),
    ],
)
def test_each_rule_is_refused_with_its_chinese_message(org, changes, message):
    assert message in errors_of(org.admin, camera_input(org, **changes))
    assert not Device.objects.filter(serial="3501777").exists()


def test_a_serial_already_registered_is_refused_whatever_its_case(org):
    Device.objects.create(serial="ABC1234", unit=org.squad1)
    errors = errors_of(org.admin, camera_input(org, serial="abc1234"))
    assert errors == ["产品序号“abc1234”已登记"]


def test_other_kinds_may_have_longer_serials(org):
    device = register_device(
        org.admin, camera_input(org, kind=DeviceKind.FIXED_CAMERA, serial="HK-DS-2CD3T46")
    )
    assert device.kind == "fixed_camera"


def test_a_duplicate_asset_number_and_a_future_purchase_are_both_reported(org):
    Device.objects.create(serial="3501888", unit=org.squad1, asset_no="ZC-2026-001")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    errors = errors_of(org.admin, camera_input(org, purchase_date=tomorrow))
    assert errors == [
        "资产编号“ZC-2026-001”已被其他设备使用",
        f"购置日期 {tomorrow:%Y-%m-%d} 晚于今天",
    ]


def test_a_unit_outside_the_administrators_scope_is_refused(org):
    errors = errors_of(org.admin, camera_input(org, unit=org.squad2))
    assert errors == ["所属单位“执法二中队”不在您的管理范围内"]
    assert register_device(org.bureau_admin, camera_input(org, unit=org.squad2)).unit == org.squad2


def test_a_retired_unit_takes_no_new_device_but_keeps_its_own(org):
    """A retired unit keeps its history and takes nothing new (issue 18 §1)."""
    kept = register_device(org.bureau_admin, camera_input(org, unit=org.squad2))
    org.squad2.retired_at = dt.datetime(2026, 12, 1, tzinfo=UTC)
    org.squad2.save()
    errors = errors_of(
        org.bureau_admin, camera_input(org, serial="3501778", asset_no="", unit=org.squad2)
    )
    assert errors == ["所属单位“执法二中队”已撤销，不能登记新设备或调入设备"]
    edited = camera_input(org, unit=org.squad2, brand_model="海康 DSJ-A8")
    assert update_device(org.bureau_admin, kept, edited).brand_model == "海康 DSJ-A8"


def test_only_equipment_administrators_register(org):
    with pytest.raises(PermissionDenied):
        register_device(org.leader, camera_input(org))


# ---- update ---------------------------------------------------------------------------


def test_an_update_audits_each_changed_field_old_and_new(org):
    device = register_device(org.admin, camera_input(org))
    update_device(org.admin, device, camera_input(org, brand_model="华为 X1", status="spare"))
    entry = AuditEntry.objects.get(action="device.update")
    assert entry.detail["changed"] == {
        "brand_model": ["海康 DSJ-A7", "华为 X1"],
        "status": ["in_service", "spare"],
    }
    update_device(org.admin, device, camera_input(org, brand_model="华为 X1", status="spare"))
    assert AuditEntry.objects.filter(action="device.update").count() == 1  # nothing changed


def test_an_update_keeps_its_own_serial_but_not_anothers(org):
    device = register_device(org.admin, camera_input(org))
    update_device(org.admin, device, camera_input(org, serial="3501777", note="电池已换"))
    assert errors_of(org.admin, camera_input(org, serial="3501001"), device) == [
        "产品序号“3501001”已登记"
    ]
    device.refresh_from_db()
    assert device.serial == "3501777"


@pytest.mark.parametrize("history", ["recorded", "issued"])
def test_a_device_that_has_recorded_or_been_issued_keeps_its_serial(org, history):
    """The serial is part of every file name the device wrote: once it has recorded (which
    recordings answers, `panels.DEVICE_RECORDINGS`) or been issued, it cannot change."""
    device = register_device(org.admin, camera_input(org))
    update_device(org.admin, device, camera_input(org, serial="3501778"))  # no history yet
    if history == "recorded":
        make(org, "3501778_350211_20260105090000_0001.MP4", device=device)
    else:
        issue_device(device, org.officer, operator=org.admin)
    assert errors_of(org.admin, camera_input(org, serial="3501779"), device) == [
        "设备 3501778 已有领用记录或音像记录，产品序号不能修改"
        "（导入时按序号识别设备）；如登记有误，请报废后重新登记"
    ]


def test_an_issued_device_cannot_be_made_spare(org):
    data = DeviceInput.from_device(org.camera)
    data.status = DeviceStatus.SPARE
    assert errors_of(org.admin, data, org.camera) == ["设备已由张伟领用，归还后才能改为备用"]


def test_status_set_by_an_event_cannot_be_changed_here(org):
    Device.objects.filter(pk=org.camera2.pk).update(status=DeviceStatus.REPAIR)
    org.camera2.refresh_from_db()
    data = DeviceInput.from_device(org.camera2)
    data.status = DeviceStatus.IN_SERVICE
    assert errors_of(org.other_admin, data, org.camera2) == ["设备当前为“维修中”，不能在此修改状态"]
    data.status, data.note = DeviceStatus.REPAIR, "送修中"
    assert update_device(org.other_admin, org.camera2, data).note == "送修中"


def test_an_administrator_cannot_edit_another_units_device(org):
    with pytest.raises(PermissionDenied):
        update_device(org.admin, org.camera2, DeviceInput.from_device(org.camera2))


# ---- usage ledger ---------------------------------------------------------------------


@pytest.fixture
def two_holders(org):
    """camera: 张伟 1 Jan–1 Mar (3 recordings), 王芳 from 1 Mar (1), one before anyone held it."""
    return_device(
        org.camera,
        operator=org.admin,
        when=dt.datetime(2026, 3, 1, tzinfo=UTC),
        condition="完好",
    )
    issue_device(
        org.camera,
        org.officer2,
        operator=org.admin,
        when=dt.datetime(2026, 3, 1, tzinfo=UTC),
        accessories=["备用电池", "数据线"],
    )
    for at, seconds in [
        ((2026, 1, 5, 9, 0), 300),
        ((2026, 2, 1, 9, 0), 120),
        ((2026, 2, 28, 23, 0), 60),
    ]:
        make(org, f"{at}.mp4", device=org.camera, at=at, duration_seconds=seconds)
    make(
        org,
        "wang.mp4",
        officer=org.officer2,
        device=org.camera,
        at=(2026, 3, 2, 9, 0),
        duration_seconds=30,
    )
    make(org, "before.mp4", device=org.camera, at=(2025, 12, 1, 9, 0))
    make(org, "other.mp4", device=org.camera2, at=(2026, 1, 5, 9, 0))
    return org


def test_the_usage_ledger_counts_recordings_per_custody_period(two_holders):
    org = two_holders
    usage = device_usage(org.camera)
    zhang, wang = usage.periods
    assert (zhang.custody.holder, zhang.recordings, zhang.seconds) == (org.officer, 3, 480)
    assert zhang.custody.returned_by == org.admin and zhang.custody.return_condition == "完好"
    assert zhang.first == dt.datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    assert zhang.last == dt.datetime(2026, 2, 28, 15, 5, tzinfo=UTC)
    assert (wang.custody.holder, wang.recordings, wang.duration) == (org.officer2, 1, "0:00:30")
    assert usage.outside == 1


def test_an_officer_sees_only_his_periods_and_a_person_ledger_groups_by_device(two_holders):
    org = two_holders
    mine = device_usage(org.camera, holder=org.officer)
    assert [p.custody.holder for p in mine.periods] == [org.officer] and mine.outside is None
    ledger = person_usage(org.officer2)
    assert [(u.device, u.recordings) for u in ledger] == [(org.camera, 1)]
    assert [c.device for c in held_now(org.officer2)] == [org.camera]
    assert held_now(org.officer) == []


# ---- PDF ------------------------------------------------------------------------------


def pdf_text_and_fonts(content: bytes) -> tuple[str, set[bytes]]:
    """The text a reader would extract (via the ToUnicode maps) and the embedded font names."""
    data = decoded(content)
    glyphs = {
        int(gid, 16): chr(int(uni, 16))
        for gid, uni in re.findall(rb"<([0-9a-f]{4})> <([0-9a-f]{4})>", data)
    }
    # Text is shown as arrays ([<…> 12 <…>] TJ) or, without kerning, single strings (<…> Tj).
    shown_runs = re.findall(rb"\[(.*?)\]\s*TJ|<([0-9a-fA-F]+)>\s*Tj", data)
    shown = [
        run
        for array, single in shown_runs
        for run in ([single] if single else re.findall(rb"<([0-9a-fA-F]+)>", array))
    ]
    text = "".join(
        glyphs.get(int(run[i : i + 4], 16), "?") for run in shown for i in range(0, len(run), 4)
    )
    fonts = set(re.findall(rb"/FontName /([^\s/>]+)", data))
    assert b"/FontFile3" in data or b"/FontFile2" in data, "font not embedded"
    return text, fonts


def test_the_usage_ledger_prints_as_a_pdf_with_the_cjk_font_embedded(two_holders):
    org = two_holders
    content = render_pdf(
        "recordings/print/usage.html",
        {
            "title": "设备使用台账",
            "subject": [("设备", "执法记录仪 3501001")],
            "usages": [device_usage(org.camera)],
            "printed_by": "林海",
            "printed_at": timezone.now(),
        },
    )
    assert content.startswith(b"%PDF")
    text, fonts = pdf_text_and_fonts(content)
    assert any(b"NotoSansCJK" in name for name in fonts), fonts
    assert "3501001" in text and "设备使用台账" in text and "王芳" in text
    assert "第1页共1页" in text.replace(" ", "")


# ---- pages ------------------------------------------------------------------------------


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


FORM = {
    "serial": "3501555",
    "kind": "body_camera",
    "unit": "T350200-01",
    "asset_no": "ZC-555",
    "purchase_date": "2025-05-05",
    "status": "in_service",
    "resolution": "1080",
    "battery_hours": "8.5",
    "feature_gps": "1",
}


def test_the_register_page_is_for_equipment_administrators(org):
    assert client_for(org.admin).get("/equipment/devices/new").status_code == 200
    for user in (org.officer, org.leader, org.head2):
        assert client_for(user).get("/equipment/devices/new").status_code == 403
    assert client_for(None).get("/equipment/devices/new").status_code == 302


def test_the_register_page_saves_a_device_or_shows_every_error(org):
    client = client_for(org.admin)
    response = client.post("/equipment/devices/new", {**FORM, "serial": "X1", "unit": "NOPE"})
    assert response.status_code == 422
    assert "产品序号“X1”应为7位字母或数字" in response.text
    assert "所属单位代码“NOPE”不存在或不在您的管理范围内" in response.text
    assert audits("device.register") == 0
    response = client.post("/equipment/devices/new", FORM)
    device = Device.objects.get(serial="3501555")
    assert (
        response.status_code == 302 and response["Location"] == f"/equipment/devices/{device.pk}/"
    )
    assert device.specs == {
        "resolution": 1080,
        "battery_hours": 8.5,
        **{code: code == "gps" for code in FEATURES},
    }
    assert audits("device.register") == 1


def test_the_edit_page_answers_404_outside_the_administrators_units(org):
    url = f"/equipment/devices/{org.camera.pk}/edit"
    assert client_for(org.other_admin).get(url).status_code == 404
    assert client_for(org.other_admin).post(url, FORM).status_code == 404
    assert client_for(org.officer).get(url).status_code == 403
    assert client_for(org.admin).get("/equipment/devices/999999/edit").status_code == 404
    assert audits("device.update") == 0


def test_the_edit_page_saves_changes_and_keeps_event_statuses(org):
    client = client_for(org.admin)
    url = f"/equipment/devices/{org.camera.pk}/edit"
    assert 'value="3501001"' in client.get(url).text
    response = client.post(url, {**FORM, "serial": "3501001", "note": "外壳有划痕"})
    assert response.status_code == 302 and audits("device.update") == 1
    org.camera.refresh_from_db()
    assert (org.camera.note, org.camera.asset_no) == ("外壳有划痕", "ZC-555")
    response = client.post(url, {**FORM, "serial": "3501001", "status": "spare"})
    assert response.status_code == 422 and "归还后才能改为备用" in response.text
    Device.objects.filter(pk=org.camera.pk).update(status=DeviceStatus.LOST)
    response = client.post(url, {**FORM, "serial": "3501001", "status": "in_service"})
    assert response.status_code == 302
    org.camera.refresh_from_db()
    assert org.camera.status == DeviceStatus.LOST


def test_the_import_page_imports_a_file_or_lists_its_errors(org):
    client = client_for(org.admin)
    good = "产品序号,设备类型,所属单位代码\n3501601,执法记录仪,T350200-01\n".encode()
    bad = "产品序号,设备类型,所属单位代码\nAB12,执法记录仪,T350200-01\n".encode()
    response = client.post("/equipment/import", {"file": SimpleUploadedFile("bad.csv", bad)})
    assert (
        response.status_code == 422 and "第 2 行：产品序号“AB12”应为7位字母或数字" in response.text
    )
    response = client.post("/equipment/import", {"file": SimpleUploadedFile("good.csv", good)})
    assert response.status_code == 200 and "已导入 1 台设备" in response.text
    assert audits("device.import") == 1
    response = client.post("/equipment/import", {"file": SimpleUploadedFile("x.txt", b"x")})
    assert response.status_code == 422 and "只支持 .xlsx 或 .csv 文件" in response.text
    assert (
        client_for(org.leader)
        .post("/equipment/import", {"file": SimpleUploadedFile("g.csv", good)})
        .status_code
        == 403
    )


def test_the_export_honours_scope_and_filters_and_is_audited(org):
    Device.objects.create(serial="HIK0001", kind="fixed_camera", unit=org.squad1)
    response = client_for(org.leader).get("/equipment/export.xlsx?kind=body_camera")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert "attachment" in response["Content-Disposition"]
    serials = [row[2] for row in sheet_rows(response.content)[1:]]
    assert serials == ["3501001", "3501004"]
    assert audits("equipment.export") == 1
    rows = sheet_rows(client_for(org.other_admin).get("/equipment/export.xlsx").content)
    assert [row[2] for row in rows[1:]] == ["3501004"]
    assert client_for(org.officer).get("/equipment/export.xlsx").status_code == 403
    assert client_for(org.leader).post("/equipment/export.xlsx").status_code == 405
    assert audits("equipment.export") == 2


def test_a_device_ledger_is_shown_exported_and_printed_within_scope(two_holders):
    org = two_holders
    url = f"/equipment/devices/{org.camera.pk}/usage"
    client = client_for(org.admin)
    page = client.get(url)
    assert page.status_code == 200 and "王芳" in page.text and "另有 1 条" in page.text
    xlsx = client.get(url + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get(url + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    assert audits("equipment.export") == 3
    assert client_for(org.other_admin).get(url).status_code == 404
    assert client_for(org.other_officer).get(url).status_code == 404
    assert client_for(org.admin).get("/equipment/devices/999999/usage").status_code == 404
    assert audits("equipment.export") == 3


def test_an_officer_sees_only_his_own_periods_of_a_device_he_held(two_holders):
    org = two_holders
    page = client_for(org.officer).get(f"/equipment/devices/{org.camera.pk}/usage")
    assert page.status_code == 200 and "张伟" in page.text and "王芳" not in page.text


def test_a_person_ledger_is_for_the_person_and_those_who_see_the_ledger(two_holders):
    org = two_holders
    url = f"/equipment/people/{org.officer.pk}/usage"
    assert client_for(org.officer).get(url).status_code == 200
    assert client_for(org.admin).get(url).status_code == 200
    assert client_for(org.leader).get(url + "?format=xlsx").status_code == 200
    assert client_for(org.officer2).get(url).status_code == 404
    assert client_for(org.other_admin).get(url).status_code == 404
    assert audits("equipment.export") == 3


def test_my_devices_lists_what_the_officer_holds_now(org):
    page = client_for(org.officer).get("/equipment/mine")
    assert page.status_code == 200 and "3501001" in page.text and "3501004" not in page.text
    assert "您当前没有领用设备" in client_for(org.officer2).get("/equipment/mine").text


def test_a_missing_font_refuses_the_pdf_with_a_chinese_message_and_logs_why(monkeypatch, caplog):
    from avrecords.lib import pdf

    monkeypatch.setattr(pdf, "FONT_PACKAGE", "no_such_font_package")
    pdf.font_path.cache_clear()
    try:
        with pytest.raises(pdf.PdfUnavailable, match="服务器缺少中文字体，无法生成 PDF"):
            render_pdf("web/print_base.html", {})
    finally:
        pdf.font_path.cache_clear()
    assert "PDF font missing" in caplog.text


def test_a_serial_cannot_change_once_the_device_has_history(org):
    """Ingest binds files to devices by the serial in their names: renaming a device that
    has been issued or has recordings would orphan its next dump."""
    from avrecords.equipment.registry import DeviceInput, DeviceInvalid, update_device

    data = DeviceInput(
        serial="3501099",
        kind=org.camera.kind,
        unit=org.camera.unit,
        status=org.camera.status,
    )
    with pytest.raises(DeviceInvalid) as refused:
        update_device(org.admin, org.camera, data)
    assert "产品序号不能修改" in refused.value.errors[0]
    org.camera.refresh_from_db()
    assert org.camera.serial == "3501001"
