"""E7: the pre-use check (使用前检查) from the service, the web page and the API."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.equipment import checks
from avrecords.equipment.custody import issue_device, return_device
from avrecords.equipment.models import Device, DeviceStatus, PreUseCheck
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import PASSWORD, client_for

ALL_OK = {"works": True, "battery_ok": True, "storage_ok": True, "clock_ok": True}


def audit_rows() -> int:
    return AuditEntry.objects.filter(action="device.check").count()


# --- the service -------------------------------------------------------------------------
def test_it_records_a_passed_check_by_the_holder(org):
    check = checks.record_check(
        org.officer, org.camera, **ALL_OK, battery_percent=90, free_storage_gb=20.5
    )

    assert check.passed
    assert check.checked_by == org.officer
    assert check.checked_on == timezone.localdate()
    assert check.source == "web"
    assert checks.last_check(org.camera) == check
    entry = AuditEntry.objects.get(action="device.check")
    assert entry.actor_id == org.officer.pk
    assert entry.object_id == str(org.camera.pk)
    assert entry.detail["passed"] is True
    assert "通过" in entry.summary


def test_it_records_and_audits_a_failed_check(org):
    check = checks.record_check(
        org.officer, org.camera, **{**ALL_OK, "battery_ok": False, "clock_ok": False}
    )

    assert not check.passed
    assert checks.failed_items(check) == ["电量充足", "时间已校准"]
    entry = AuditEntry.objects.get(action="device.check")
    assert entry.detail["passed"] is False
    assert entry.detail["failed"] == ["电量充足", "时间已校准"]
    assert "未通过" in entry.summary


def test_it_lets_an_equipment_admin_in_scope_check(org):
    for admin in (org.admin, org.bureau_admin, org.sysadmin):
        checks.record_check(admin, org.camera, **ALL_OK)
    assert PreUseCheck.objects.filter(device=org.camera).count() == 3


@pytest.mark.parametrize("who", ["officer2", "other_admin", "leader", "head2", "other_officer"])
def test_it_refuses_anyone_else(org, who):
    with pytest.raises(checks.CheckNotAllowed):
        checks.record_check(getattr(org, who), org.camera, **ALL_OK)
    assert not PreUseCheck.objects.exists()
    assert audit_rows() == 0


def test_it_refuses_a_former_holder(org):
    return_device(org.camera, operator=org.admin)
    issue_device(org.camera, org.officer2)
    with pytest.raises(checks.CheckNotAllowed):
        checks.record_check(org.officer, org.camera, **ALL_OK)
    checks.record_check(org.officer2, org.camera, **ALL_OK)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"battery_percent": 101}, "电量（%）须在 0 到 100 之间"),
        ({"battery_percent": -1}, "电量（%）须在 0 到 100 之间"),
        ({"free_storage_gb": -0.5}, "剩余空间（GB）不能为负数"),
        ({"free_storage_gb": float("nan")}, "剩余空间（GB）不能为负数"),
        ({"clock_offset_seconds": 10**9}, "时钟偏差（秒）超出合理范围"),
        ({"note": "长" * 301}, "备注最多 300 个字符"),
        ({"when": timezone.now() + dt.timedelta(hours=1)}, "检查时间不能晚于当前时间"),
    ],
)
def test_it_refuses_invalid_readings(org, extra, message):
    with pytest.raises(checks.CheckInvalid) as exc:
        checks.record_check(org.officer, org.camera, **ALL_OK, **extra)
    assert any(e.startswith(message) for e in exc.value.errors)
    assert not PreUseCheck.objects.exists()
    assert audit_rows() == 0


@pytest.mark.parametrize("status", [DeviceStatus.LOST, DeviceStatus.RETIRED])
def test_it_refuses_a_lost_or_retired_device(org, status):
    Device.objects.filter(pk=org.camera.pk).update(status=status)
    org.camera.refresh_from_db()
    with pytest.raises(checks.CheckInvalid) as exc:
        checks.record_check(org.officer, org.camera, **ALL_OK)
    assert exc.value.errors == ["设备已报废/遗失，不能登记使用前检查"]


def test_it_refuses_clock_set_with_an_offset_beyond_the_profile_tolerance(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    with pytest.raises(checks.CheckInvalid, match="超过允许的 120 秒（000§10）"):
        checks.record_check(org.officer, org.camera, **ALL_OK, clock_offset_seconds=600)
    check = checks.record_check(
        org.officer, org.camera, **{**ALL_OK, "clock_ok": False}, clock_offset_seconds=600
    )
    assert not check.passed
    checks.record_check(org.officer, org.camera, **ALL_OK, clock_offset_seconds=-100)


def test_it_lists_devices_out_today_without_a_check(org):
    spare = Device.objects.create(serial="3501009", unit=org.squad1, status=DeviceStatus.SPARE)
    devices = Device.objects.filter(pk__in=[org.camera.pk, org.camera2.pk, spare.pk])
    assert set(checks.unchecked_today(devices)) == {org.camera, org.camera2}

    check = checks.record_check(org.officer, org.camera, **ALL_OK)

    assert list(checks.unchecked_today(devices)) == [org.camera2]
    assert checks.checks_today(devices) == {org.camera.pk: check}
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert checks.checks_today(devices, yesterday) == {}
    assert set(checks.unchecked_today(devices, yesterday)) == {org.camera, org.camera2}


def test_it_scopes_the_list_of_checks(org):
    checks.record_check(org.officer, org.camera, **ALL_OK)
    checks.record_check(org.other_officer, org.camera2, **ALL_OK)

    assert PreUseCheck.objects.visible_to(org.admin).count() == 1
    assert PreUseCheck.objects.visible_to(org.officer).count() == 1
    assert PreUseCheck.objects.visible_to(org.officer2).count() == 0
    assert PreUseCheck.objects.visible_to(org.leader).count() == 2


# --- the page ----------------------------------------------------------------------------
def url(device) -> str:
    return f"/equipment/devices/{device.pk}/check"


def test_the_page_shows_unticked_boxes_to_the_holder(org):
    response = client_for(org.officer).get(url(org.camera))
    assert response.status_code == 200
    text = response.content.decode()
    for _, label in checks.ITEMS:
        assert label in text
    assert " checked" not in text


def test_the_page_records_a_check_and_returns_to_the_device(org):
    response = client_for(org.officer).post(
        url(org.camera),
        {
            "works": "1",
            "battery_ok": "1",
            "storage_ok": "1",
            "battery_percent": "80",
            "note": "良好",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/equipment/devices/{org.camera.pk}/"
    check = PreUseCheck.objects.get()
    assert (check.works, check.clock_ok, check.battery_percent, check.note) == (
        True,
        False,
        80,
        "良好",
    )
    assert audit_rows() == 1


def test_the_page_shows_errors_in_chinese_and_saves_nothing(org):
    response = client_for(org.officer).post(
        url(org.camera), {"works": "1", "battery_percent": "150", "free_storage_gb": "很多"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "剩余空间（GB）须为数字" in text
    assert not PreUseCheck.objects.exists()

    response = client_for(org.officer).post(url(org.camera), {"battery_percent": "150"})
    assert response.status_code == 422
    assert "电量（%）须在 0 到 100 之间" in response.content.decode()
    assert audit_rows() == 0


def test_the_page_answers_by_scope_and_role(org):
    assert client_for(None).get(url(org.camera)).status_code == 302  # to the login page
    assert client_for(org.officer2).get(url(org.camera)).status_code == 404
    assert client_for(org.other_admin).post(url(org.camera), {}).status_code == 404
    assert client_for(org.leader).get(url(org.camera)).status_code == 403
    assert client_for(org.leader).post(url(org.camera), {}).status_code == 403
    assert client_for(org.admin).get("/equipment/devices/999999/check").status_code == 404
    assert client_for(org.admin).put(url(org.camera)).status_code == 405
    assert audit_rows() == 0
    assert client_for(org.admin).post(url(org.camera), {"works": "1"}).status_code == 302
    assert audit_rows() == 1


def test_the_list_filters_by_date_and_failure(org):
    checks.record_check(org.officer, org.camera, **ALL_OK, note="全部正常")
    checks.record_check(org.admin, org.camera, **{**ALL_OK, "storage_ok": False}, note="空间不足")
    client = client_for(org.admin)

    text = client.get("/equipment/checks").content.decode()
    assert "全部正常" in text and "空间不足" in text
    text = client.get("/equipment/checks?failed=1").content.decode()
    assert "全部正常" not in text and "空间不足" in text
    text = client.get("/equipment/checks?date=2000-01-01").content.decode()
    assert "空间不足" not in text
    assert client.get("/equipment/checks?date=昨天").status_code == 200
    text = client.get(f"/equipment/checks?unit={org.squad2.pk}").content.decode()
    assert "空间不足" not in text
    bureau = client_for(org.bureau_admin)
    assert "空间不足" in bureau.get(f"/equipment/checks?unit={org.squad1.pk}").content.decode()
    assert "空间不足" not in bureau.get(f"/equipment/checks?unit={org.squad2.pk}").content.decode()
    text = client_for(org.other_admin).get("/equipment/checks").content.decode()
    assert "空间不足" not in text


# --- the API -----------------------------------------------------------------------------
def basic(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def post(user, serial: str, body: dict):
    return client_for(None).post(
        f"/api/v1/devices/{serial}/checks",
        json.dumps(body),
        content_type="application/json",
        **basic(user),
    )


def test_the_api_records_a_check_from_a_station(org):
    response = post(org.admin, "3501001", {**ALL_OK, "battery_percent": 75, "note": "采集站自检"})
    assert response.status_code == 201
    body = response.json()
    assert body["serial"] == "3501001"
    assert body["passed"] is True
    assert body["battery_percent"] == 75
    assert body["source"] == "api"
    assert PreUseCheck.objects.get().source == "api"
    assert audit_rows() == 1


def test_the_api_takes_a_check_made_earlier_in_local_time(org):
    response = post(org.officer, "3501001", {**ALL_OK, "checked_at": "2026-11-20T08:30:00"})
    assert response.status_code == 201
    check = PreUseCheck.objects.get()
    assert check.checked_on == dt.date(2026, 11, 20)
    assert timezone.localtime(check.checked_at).hour == 8


def test_the_api_refuses_an_invalid_battery_in_chinese(org):
    response = post(org.officer, "3501001", {**ALL_OK, "battery_percent": 150})
    assert response.status_code == 422
    assert response.json()["detail"] == "未登记：电量（%）须在 0 到 100 之间"
    assert not PreUseCheck.objects.exists()


def test_the_api_refuses_a_body_missing_items(org):
    response = post(org.officer, "3501001", {"works": True})
    assert response.status_code == 422
    assert "battery_ok" in response.json()["detail"]


def test_the_api_refuses_a_lost_device(org):
    Device.objects.filter(pk=org.camera.pk).update(status=DeviceStatus.LOST)
    response = post(org.officer, "3501001", ALL_OK)
    assert response.status_code == 422
    assert "设备已报废/遗失" in response.json()["detail"]


def test_the_api_answers_by_scope_and_role(org):
    assert post(org.other_admin, "3501001", ALL_OK).json() == {"detail": "未找到设备"}
    assert post(org.other_admin, "3501001", ALL_OK).status_code == 404
    assert post(org.officer2, "3501001", ALL_OK).status_code == 404
    assert post(org.admin, "3509999", ALL_OK).status_code == 404
    assert post(org.leader, "3501001", ALL_OK).status_code == 403
    response = client_for(None).post(
        "/api/v1/devices/3501001/checks", json.dumps(ALL_OK), content_type="application/json"
    )
    assert response.status_code == 401
    assert audit_rows() == 0


def test_the_api_lists_recent_checks_in_scope(org):
    checks.record_check(org.officer, org.camera, **ALL_OK)
    response = client_for(org.officer).get("/api/v1/devices/3501001/checks")
    assert response.status_code == 200
    assert [c["checked_by"] for c in response.json()] == [org.officer.display_name]
    assert client_for(org.other_admin).get("/api/v1/devices/3501001/checks").status_code == 404
    assert client_for(org.admin).get("/api/v1/devices/3501001/checks").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no credentials at all
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"zhangwei:wrong").decode()},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"nobody:x").decode()},
    ],
    ids=["anonymous", "wrong-password", "unknown-user"],
)
def test_a_station_with_bad_credentials_gets_401_in_chinese_not_a_csrf_403(org, headers):
    station = Client(enforce_csrf_checks=True)  # as a real script: no CSRF exemption
    response = station.post(
        f"/api/v1/devices/{org.camera.serial}/checks",
        {"works": True, "battery_ok": True, "storage_ok": True, "clock_ok": True},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "未登录或用户名、密码错误"
    assert not PreUseCheck.objects.exists()


def test_a_body_that_is_not_json_is_refused_in_chinese(org):
    station = Client(enforce_csrf_checks=True)
    auth = "Basic " + base64.b64encode(f"zhangwei:{PASSWORD}".encode()).decode()
    response = station.post(
        f"/api/v1/devices/{org.camera.serial}/checks",
        "works=1",
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "请求内容无法解析：应为 JSON"
