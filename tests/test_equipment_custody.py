"""E2, E5, E6: issuing and returning devices, repairs and losses, transfer clearance.

Each rule with its failure path: a refusal changes nothing and says why in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.compliance import clearance
from avrecords.compliance.models import Finding
from avrecords.compliance.worklist_sources import findings_to_answer
from avrecords.equipment import events
from avrecords.equipment.custody import (
    CustodyError,
    issue_device,
    return_device,
    settle_accessories,
)
from avrecords.equipment.models import (
    Clearance,
    ClearanceStatus,
    Custody,
    Device,
    DeviceStatus,
    EventKind,
)
from avrecords.equipment.worklist_sources import losses_to_acknowledge
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.supervision.candidates import from_overdue_clearances
from avrecords.supervision.models import ViolationCandidate
from tests.conftest import client_for
from tests.rows import make


@pytest.fixture
def spare(org):
    return Device.objects.create(serial="350A002", unit=org.squad1, status=DeviceStatus.SPARE)


@pytest.fixture
def head1(org):
    return User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )


def ago(**kw):
    return timezone.now() - dt.timedelta(**kw)


# --- custody (E2) ---------------------------------------------------------------------------


def test_issue_and_return_record_who_when_condition_and_accessories(org, spare):
    custody = issue_device(
        spare, org.officer2, operator=org.admin, condition="完好", accessories="充电器、数据线"
    )
    spare.refresh_from_db()
    assert spare.status == DeviceStatus.IN_SERVICE  # a spare handed out is in use
    assert custody.accessories == ["充电器", "数据线"]
    back = return_device(
        spare, operator=org.admin, condition="外壳轻微划痕", returned_accessories=["充电器"]
    )
    assert back.ended_at is not None and back.returned_by == org.admin
    assert back.missing_accessories == ["数据线"]
    actions = list(
        AuditEntry.objects.filter(object_id=str(spare.pk)).values_list("action", flat=True)
    )
    assert actions.count("device.issue") == 1 and actions.count("device.return") == 1


def test_issuing_a_device_already_issued_is_refused_and_changes_nothing(org):
    with pytest.raises(CustodyError, match="已由 张伟 于 .* 领用，须先归还"):
        issue_device(org.camera, org.officer2, operator=org.admin)
    assert Custody.objects.filter(device=org.camera, ended_at__isnull=True).get().holder == (
        org.officer
    )


def test_returning_a_device_not_issued_is_refused(org, spare):
    with pytest.raises(CustodyError, match="当前未被领用，无需归还"):
        return_device(spare, operator=org.admin)


def test_handover_times_must_be_in_order_and_not_in_the_future(org, spare):
    with pytest.raises(CustodyError, match="不能晚于当前时间"):
        issue_device(spare, org.officer2, when=timezone.now() + dt.timedelta(hours=2))
    issue_device(spare, org.officer2, when=ago(hours=5))
    with pytest.raises(CustodyError, match="归还时间早于领用时间"):
        return_device(spare, when=ago(hours=6))
    return_device(spare, when=ago(hours=1))
    with pytest.raises(CustodyError, match="领用时间早于该设备上次归还时间"):
        issue_device(spare, org.officer, when=ago(hours=2))


def test_returning_an_accessory_never_issued_is_refused(org, spare):
    issue_device(spare, org.officer2, accessories=["充电器"])
    with pytest.raises(CustodyError, match="领用时未登记这些配件：肩夹"):
        return_device(spare, returned_accessories=["充电器", "肩夹"])
    assert Custody.objects.get(device=spare).ended_at is None


def test_a_device_under_repair_or_lost_cannot_be_issued(org, spare):
    events.record_event(org.admin, spare, EventKind.REPAIR, vendor="海康售后", note="屏幕不亮")
    with pytest.raises(CustodyError, match="状态为“维修中”，不能领用"):
        issue_device(spare, org.officer2)
    events.record_event(org.admin, spare, EventKind.REPAIRED, note="更换屏幕")
    spare.refresh_from_db()
    assert spare.status == DeviceStatus.IN_SERVICE
    assert [e.kind for e in spare.events.order_by("id")] == ["repair", "repaired"]


def test_an_issued_device_must_be_returned_before_repair(org):
    with pytest.raises(CustodyError, match="正由 张伟 领用，须先归还再送修"):
        events.record_event(org.admin, org.camera, EventKind.REPAIR)
    org.camera.refresh_from_db()
    assert org.camera.status == DeviceStatus.IN_SERVICE


def test_an_inactive_person_is_not_issued_a_device(org, spare):
    org.officer2.is_active = False
    org.officer2.save()
    with pytest.raises(CustodyError, match="账号已停用"):
        issue_device(spare, org.officer2)


# --- loss and theft (E6) --------------------------------------------------------------------


def test_a_loss_report_changes_status_notifies_the_unit_head_and_raises_a_candidate(org, head1):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    with pytest.raises(CustodyError, match="写明遗失或被盗的经过"):
        events.record_event(org.admin, org.camera, EventKind.LOSS, note="丢了")
    event = events.record_event(
        org.admin, org.camera, EventKind.LOSS, note="巡查途中在湖滨路遗失，已报警"
    )
    org.camera.refresh_from_db()
    assert org.camera.status == DeviceStatus.LOST
    # the holder no longer holds it; the custody ends at the loss
    assert not Custody.objects.filter(device=org.camera, ended_at__isnull=True).exists()
    candidate = ViolationCandidate.objects.get(device=org.camera)
    assert candidate.person == org.officer and candidate.cite == "004§23(7)"
    assert candidate.kind_name == "保管不妥造成设备遗失、被盗"
    # the unit head of squad 1 sees it in 待办; the head of squad 2 does not
    assert [t.obj for t in losses_to_acknowledge(head1)] == [event]
    assert [t.obj for t in losses_to_acknowledge(org.head2)] == []
    with pytest.raises(CustodyError, match="只有单位负责人"):
        events.acknowledge(org.admin, event)
    events.acknowledge(head1, event)
    assert [t.obj for t in losses_to_acknowledge(head1)] == []
    # a second report of the same loss is refused: the device is already lost
    with pytest.raises(CustodyError, match="当前状态为“遗失/被盗”"):
        events.record_event(org.admin, org.camera, EventKind.THEFT, note="再次报告被盗情况")
    assert ViolationCandidate.objects.filter(device=org.camera).count() == 1


def test_found_device_goes_back_to_store_and_can_be_retired(org, spare):
    events.record_event(org.admin, spare, EventKind.THEFT, note="车辆被撬，设备被盗")
    events.record_event(org.admin, spare, EventKind.FOUND, note="派出所追回")
    spare.refresh_from_db()
    assert spare.status == DeviceStatus.SPARE
    events.record_event(org.admin, spare, EventKind.RETIRE, note="电池老化")
    spare.refresh_from_db()
    assert spare.status == DeviceStatus.RETIRED
    with pytest.raises(CustodyError, match="不能领用"):
        issue_device(spare, org.officer2)


# --- clearance (E5) -------------------------------------------------------------------------


def test_clearance_cannot_complete_with_a_device_outstanding(org):
    item = clearance.start(org.admin, org.officer, "leave", org.officer2, reason="调往县局")
    with pytest.raises(clearance.ClearanceError) as refused:
        clearance.complete(org.admin, item)
    assert any("设备 3501001" in text and "未归还" in text for text in refused.value.items)
    item.refresh_from_db()
    org.officer.refresh_from_db()
    assert item.status == ClearanceStatus.OPEN and org.officer.is_active
    # nor can a person being cleared be issued anything new
    other = Device.objects.create(serial="350A003", unit=org.squad1)
    with pytest.raises(CustodyError, match="正在办理调离交接"):
        issue_device(other, org.officer)


def test_clearance_with_accessory_missing_then_settled_hands_over_and_disables(org):
    rec = make(org, "3501001_350211_20261120100000_0001.mp4", device=org.camera)
    finding = Finding.objects.create(
        key="test:gap", kind="gap", unit=org.squad1, officer=org.officer, summary="中断 5 分钟"
    )
    Custody.objects.filter(device=org.camera).update(accessories=["充电器"])
    item = clearance.start(org.admin, org.officer, "transfer", org.officer2)
    custody = return_device(org.camera, operator=org.admin, returned_accessories=[])
    assert clearance.outstanding(item) == [
        "设备 3501001 的配件未归还：充电器",
        "1 条音像记录、1 个待处理合规问题尚未移交给 王芳",
    ]
    settle_accessories(custody, ["充电器"], operator=org.admin)
    assert clearance.hand_over(org.admin, item) == {"recordings": 1, "findings": 1}
    clearance.complete(org.admin, item)
    rec.refresh_from_db()
    finding.refresh_from_db()
    org.officer.refresh_from_db()
    assert rec.officer == org.officer and rec.keeper == org.officer2  # who made it is kept
    assert finding.handled_by == org.officer2
    assert [t.obj for t in findings_to_answer(org.officer2)] == [finding]
    assert not org.officer.is_active
    # the successor now sees the recording that was handed to him
    assert client_for(org.officer2).get(f"/recordings/{rec.pk}/").status_code == 200


def test_a_person_cannot_have_two_open_clearances_or_hand_over_to_himself(org):
    with pytest.raises(clearance.ClearanceError, match="交接人不能是本人"):
        clearance.start(org.admin, org.officer, "leave", org.officer)
    clearance.start(org.admin, org.officer, "leave", org.officer2)
    with pytest.raises(clearance.ClearanceError, match="已有办理中的交接"):
        clearance.start(org.admin, org.officer, "transfer", org.officer2)
    with pytest.raises(clearance.ClearanceError, match="不在岗"):
        clearance.start(org.admin, org.officer2, "leave", org.officer)


def test_an_overdue_clearance_becomes_a_violation_candidate_once(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    item = clearance.start(org.admin, org.officer, "transfer", org.officer2, when=ago(days=8))
    assert item.due_at == item.started_at + dt.timedelta(days=7)
    assert item.cite == "004§18,004§23(5)"
    assert from_overdue_clearances() == 1
    assert from_overdue_clearances() == 0
    candidate = ViolationCandidate.objects.get(key=f"clearance:{item.pk}")
    assert candidate.person == org.officer and "设备 3501001" in candidate.summary
    assert candidate.kind_name == "人员调动时未做好交接"


def test_a_clearance_in_time_raises_nothing(org):
    clearance.start(org.admin, org.officer, "transfer", org.officer2, when=ago(days=2))
    assert from_overdue_clearances() == 0


# --- pages ----------------------------------------------------------------------------------


def test_issue_and_return_through_the_device_page(org, spare):
    admin = client_for(org.admin)
    page = admin.get(f"/equipment/devices/{spare.pk}/")
    assert "登记发放" in page.content.decode()
    r = admin.post(
        f"/equipment/devices/{spare.pk}/issue",
        {"holder": org.officer2.pk, "condition": "完好", "accessories": "充电器"},
        follow=True,
    )
    assert "已发放给 王芳" in r.content.decode()
    r = admin.post(f"/equipment/devices/{spare.pk}/issue", {"holder": org.officer.pk}, follow=True)
    assert "须先归还" in r.content.decode()
    r = admin.post(f"/equipment/devices/{spare.pk}/return", {"condition": "完好"}, follow=True)
    assert "已归还；未归还配件：充电器" in r.content.decode()
    # out of scope: the other squad's administrator gets 404, an officer 403
    assert (
        client_for(org.other_admin).post(f"/equipment/devices/{spare.pk}/return").status_code == 404
    )
    assert client_for(org.officer).post(f"/equipment/devices/{spare.pk}/issue").status_code == 403


def test_clearance_pages_refuse_completion_with_the_outstanding_items(org):
    admin = client_for(org.admin)
    r = admin.post(
        "/equipment/clearances/new",
        {"person": org.officer.pk, "kind": "leave", "successor": org.officer2.pk},
    )
    item = Clearance.objects.get(person=org.officer)
    assert r.status_code == 302 and r.url == f"/equipment/clearances/{item.pk}/"
    r = admin.post(f"/equipment/clearances/{item.pk}/complete", follow=True)
    assert "尚有未办结事项" in r.content.decode() and "3501001" in r.content.decode()
    bad = admin.post(
        "/equipment/clearances/new",
        {"person": org.officer2.pk, "kind": "leave", "successor": org.other_officer.pk},
    )
    assert bad.status_code == 422 and "在岗人员" in bad.content.decode()  # not his unit


def test_the_equipment_page_links_its_clearances_and_the_todo_page_acknowledges_a_loss(
    org, head1, spare
):
    item = clearance.start(org.admin, org.officer, "leave", org.officer2)
    admin = client_for(org.admin)
    page = admin.get("/equipment/").content.decode()
    assert 'href="/equipment/clearances/"' in page
    assert f'href="/equipment/clearances/{item.pk}/"' in page
    assert admin.get(f"/equipment/clearances/{item.pk}/").status_code == 200
    event = events.record_event(
        org.admin, org.camera, EventKind.LOSS, note="执法途中遗失于公交车上"
    )
    head = client_for(head1)
    assert 'name="next" value="/todo/"' in head.get("/todo/").content.decode()
    r = head.post(f"/equipment/events/{event.pk}/acknowledge", {"next": "/todo/"})
    assert r.status_code == 302 and r.url == "/todo/"
    event.refresh_from_db()
    assert event.acknowledged_by == head1
    event = events.record_event(org.admin, spare, EventKind.THEFT, note="车辆被撬设备被盗")
    r = head.post(f"/equipment/events/{event.pk}/acknowledge")
    assert r.status_code == 302 and r.url == f"/equipment/devices/{spare.pk}/"


def test_dashboard_shows_status_counts_and_a_loss_waiting(org, head1):
    events.record_event(org.admin, org.camera, EventKind.LOSS, note="执法途中遗失于公交车上")
    page = client_for(head1).get("/equipment/").content.decode()
    assert "遗失/被盗" in page and "执法途中遗失于公交车上" in page
    assert client_for(org.officer).get("/equipment/").status_code == 403


def test_a_loss_cannot_be_dated_before_the_custody_or_the_purchase(org):
    Device.objects.filter(pk=org.camera.pk).update(purchase_date=dt.date(2025, 3, 1))
    org.camera.refresh_from_db()
    with pytest.raises(CustodyError, match="遗失时间早于设备购置日期（2025-03-01）"):
        events.record_event(
            org.admin,
            org.camera,
            EventKind.LOSS,
            note="巡查途中遗失设备",
            when=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )
    with pytest.raises(CustodyError, match="遗失时间早于当前领用时间"):
        events.record_event(
            org.admin,
            org.camera,
            EventKind.LOSS,
            note="巡查途中遗失设备",
            when=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),  # issued 2026-01-01
        )
    org.camera.refresh_from_db()
    assert org.camera.status == DeviceStatus.IN_SERVICE and not org.camera.events.exists()
    spare = Device.objects.create(serial="350A009", unit=org.squad1, purchase_date=dt.date.today())
    with pytest.raises(CustodyError, match="领用时间早于设备购置日期"):
        issue_device(spare, org.officer2, when=ago(days=2))


def test_choosing_a_unit_includes_the_units_below_it(org):
    admin = client_for(org.bureau_admin)
    page = admin.get("/equipment/devices/", {"unit": org.bureau.code}).content.decode()
    assert "3501001" in page and "3501004" in page  # both squads' cameras
    page = admin.get("/equipment/devices/", {"unit": org.squad2.code}).content.decode()
    assert "3501001" not in page and "3501004" in page
    board = admin.get("/equipment/", {"unit": org.squad2.code}).content.decode()
    assert "设备台账：执法二中队" in board


def test_an_accessory_really_lost_is_written_off_and_no_longer_blocks_the_clearance(org):
    Custody.objects.filter(device=org.camera).update(accessories=["肩夹"])
    custody = return_device(org.camera, operator=org.admin, returned_accessories=[])
    item = clearance.start(org.admin, org.officer, "leave", org.officer2)
    r = client_for(org.admin).post(
        f"/equipment/custody/{custody.pk}/accessories",
        {"names": "肩夹", "how": "lost"},
        follow=True,
    )
    assert "已登记遗失注销配件：肩夹" in r.content.decode()
    assert not any("配件" in text for text in clearance.outstanding(item))
    assert AuditEntry.objects.filter(action="device.accessories", detail__how="lost").exists()
