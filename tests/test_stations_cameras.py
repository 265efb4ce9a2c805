"""A docked camera (issue 19 §2, §4): the station imports only from a camera registered (not
written off) in its own agency's ledger; the answer names its number and holder. Any other is
refused with the reason in Chinese, kept (one open row per camera, counting dockings), audited
under the station's name and put in the 待办 of the station's 负责人 (and system administrators),
not an officer's, until he records how he dealt with it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from avrecords import worklist
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device, DeviceStatus
from avrecords.lib.refusals import Conflict, Forbidden
from avrecords.org.models import Unit
from avrecords.stations import services as svc
from avrecords.stations.models import CameraRefusal

CHECK = "/api/v1/station/cameras/check"
REFUSED = "执法记录仪（序列号 {}）未在本单位登记，已拒绝导入并已报告管理员"


@pytest.fixture
def station(org):
    station, secret = svc.register(
        org.sysadmin, name="一中队值班室采集站", unit=org.squad1, responsible=org.admin
    )
    station.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return station


def check(station, serial, **more):
    return station.client.post(CHECK, {"serial": serial, **more}, content_type="application/json")


def todo(user) -> list[str]:
    return [
        t.title
        for g in worklist.groups_for(user)
        if g.source.name == "stations.refused_cameras"
        for t in g.tasks
    ]


def test_a_registered_camera_is_answered_with_its_number_and_holder(org, station):
    org.camera.asset_no = "GA-2026-0001"
    org.camera.save()
    camera_time = timezone.now() + dt.timedelta(seconds=95)
    response = check(station, "3501001", camera_time=camera_time.isoformat())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body | {"clock_offset_seconds": None} == {
        "serial": "3501001",
        "device_no": "GA-2026-0001",
        "holder": "张伟",
        "holder_officer_no": "350211",
        "clock_offset_seconds": None,
        "registered": True,
    }
    assert 90 < body["clock_offset_seconds"] <= 95
    entry = AuditEntry.objects.get(action="station.camera_docked")
    assert entry.actor_label == "采集站：一中队值班室采集站" and entry.actor_id is None
    assert not CameraRefusal.objects.exists()


def test_a_camera_of_another_unit_of_the_same_agency_is_accepted(org, station):
    response = check(station, "3501004")  # 二中队's, held by 杨军
    assert response.status_code == 200 and response.json()["holder"] == "杨军"


def test_an_unregistered_camera_is_refused_kept_audited_and_counted(org, station):
    response = check(station, "3509999")
    assert response.status_code == 403
    assert response.json() == {"detail": REFUSED.format("3509999")}
    check(station, "3509999")
    refusal = CameraRefusal.objects.get()
    assert (refusal.station, refusal.serial, refusal.attempts) == (station, "3509999", 2)
    assert "未在“执法一中队”所属单位的设备台账中登记" in refusal.reason
    entries = AuditEntry.objects.filter(action="station.camera_refused")
    assert [e.actor_label for e in entries] == ["采集站：一中队值班室采集站"] * 2
    assert {e.object_id for e in entries} == {str(station.pk)}


@pytest.mark.parametrize("elsewhere", ["another agency", "written off"])
def test_a_camera_of_another_agency_or_written_off_is_refused(org, station, elsewhere):
    if elsewhere == "another agency":
        other = Unit.objects.create(name="另一市市场监督管理局", code="T360100")
        Device.objects.create(serial="3609001", unit=other)
        serial = "3609001"
    else:
        Device.objects.filter(pk=org.camera.pk).update(status=DeviceStatus.RETIRED)
        serial = "3501001"
    assert check(station, serial).status_code == 403
    assert CameraRefusal.objects.filter(serial=serial).exists()


def test_a_refused_camera_waits_in_the_responsible_persons_todo_only(org, station):
    check(station, "3509999")
    expected = ["采集站“一中队值班室采集站”拒绝导入执法记录仪（序列号 3509999）"]
    assert todo(org.admin) == expected
    assert todo(org.sysadmin) == expected
    for someone in (org.officer, org.officer2, org.other_admin, org.bureau_admin, org.leader):
        assert todo(someone) == []
    assert worklist.count_for(org.admin, "stations") == 1
    assert worklist.count_for(org.officer, "stations") == 0


def test_handling_a_refusal_takes_it_out_of_the_todo_and_is_audited(org, station):
    check(station, "3509999")
    refusal = CameraRefusal.objects.get()
    with pytest.raises(Forbidden):
        svc.handle_refusal(org.officer, refusal, "设备已登记")
    with pytest.raises(Forbidden):
        svc.handle_refusal(org.other_admin, refusal, "设备已登记")
    svc.handle_refusal(org.admin, refusal, "非本单位设备已退回")
    assert todo(org.admin) == [] and todo(org.sysadmin) == []
    refusal.refresh_from_db()
    assert refusal.handled_by == org.admin and refusal.handling_note == "非本单位设备已退回"
    entry = AuditEntry.objects.get(action="station.refusal_handle")
    assert entry.actor_id == org.admin.pk and entry.detail["after"]["handled"] is True
    with pytest.raises(Conflict, match="已处理"):
        svc.handle_refusal(org.sysadmin, refusal, "其他：重复")
    # docked again after that: a new refusal, in the 待办 again
    check(station, "3509999")
    assert CameraRefusal.objects.count() == 2 and len(todo(org.admin)) == 1


@pytest.mark.parametrize("body", [{}, {"serial": ""}, {"serial": "3" * 65}])
def test_a_check_without_a_usable_serial_is_refused_and_stores_nothing(org, station, body):
    response = station.client.post(CHECK, body, content_type="application/json")
    assert response.status_code == 422
    assert not CameraRefusal.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="station.camera").exists()
