"""Moving a person to another unit (调动, E5; issue 18 §1): the hand-over runs as for any
clearance, and completing it moves him and keeps his account; who recorded what is kept.
A departure (离职) still disables the account."""

from __future__ import annotations

import pytest
from django.utils import timezone

from avrecords.agency import transfers
from avrecords.agency.person_page import status_of
from avrecords.audit.models import AuditEntry
from avrecords.compliance import clearance
from avrecords.compliance.models import Finding
from avrecords.equipment.custody import return_device
from avrecords.equipment.models import Clearance, ClearanceStatus
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.models import Role, Unit, User
from tests.conftest import client_for
from tests.rows import make


@pytest.fixture
def head1(org):
    return User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )


@pytest.fixture
def squad3(org):
    return Unit.objects.create(name="执法三中队", code="T350200-03", parent=org.bureau)


def _transfer(org, to_unit=None, successor=None):
    return transfers.start_transfer(
        org.sysadmin,
        org.officer,
        to_unit=to_unit or org.squad2,
        successor=successor or org.officer2,
    )


def test_it_moves_the_person_and_keeps_who_recorded_what(org, head1):
    rec = make(org, "3501001_350211_20261120100000_0001.mp4", device=org.camera)
    finding = Finding.objects.create(
        key="test:gap", kind="gap", unit=org.squad1, officer=org.officer, summary="中断 5 分钟"
    )
    assert org.officer in User.objects.visible_to(head1)
    assert org.officer not in User.objects.visible_to(org.head2)

    item = _transfer(org)
    assert status_of(org.officer) == "调动交接中"
    return_device(org.camera, operator=org.admin)
    clearance.hand_over(org.admin, item)
    clearance.complete(org.admin, item)

    rec.refresh_from_db()
    finding.refresh_from_db()
    org.officer.refresh_from_db()
    assert rec.officer == org.officer  # he still recorded it
    assert rec.keeper == org.officer2  # the successor answers for it now
    assert rec.unit == org.squad1  # the recording stays where it was made
    assert finding.handled_by == org.officer2
    assert org.officer.unit == org.squad2 and org.officer.is_active
    assert status_of(org.officer) == "在岗"
    assert org.officer not in User.objects.visible_to(head1)  # his old unit head: gone
    assert org.officer in User.objects.visible_to(org.head2)  # his new one: there
    entry = AuditEntry.objects.filter(action="clearance.complete").get()
    assert entry.detail["before"]["unit"] == org.squad1.pk
    assert entry.detail["after"]["unit"] == org.squad2.pk
    assert "由 执法一中队 调入 执法二中队" in entry.summary


def test_it_refuses_to_complete_while_his_camera_is_out(org):
    item = _transfer(org)
    with pytest.raises(clearance.ClearanceError) as refused:
        clearance.complete(org.admin, item)
    assert any("设备 3501001" in text and "未归还" in text for text in refused.value.items)
    org.officer.refresh_from_db()
    item.refresh_from_db()
    assert org.officer.unit == org.squad1 and item.status == ClearanceStatus.OPEN


def test_it_refuses_a_transfer_to_a_retired_unit(org, squad3):
    squad3.retired_at = timezone.now()
    squad3.save()
    before = AuditEntry.objects.count()
    with pytest.raises(Invalid) as refused:
        _transfer(org, to_unit=squad3)
    assert refused.value.fields == {"to_unit": "执法三中队已撤销，不能调入"}
    assert not Clearance.objects.exists() and AuditEntry.objects.count() == before
    # …and one whose destination was retired after it started is not completed
    item = _transfer(org, to_unit=squad3.parent.children.get(code="T350200-02"))
    Unit.objects.filter(pk=org.squad2.pk).update(retired_at=timezone.now())
    return_device(org.camera, operator=org.admin)
    with pytest.raises(clearance.ClearanceError, match="执法二中队 已撤销"):
        clearance.complete(org.admin, item)
    org.officer.refresh_from_db()
    assert org.officer.unit == org.squad1


def test_it_names_every_missing_choice(org):
    with pytest.raises(Invalid) as refused:
        transfers.start_transfer(org.sysadmin, org.officer, to_unit="", successor=None)
    assert refused.value.fields == {
        "to_unit": "请选择调入单位",
        "successor": "请选择资料交接人（在岗人员）",
    }
    with pytest.raises(Invalid) as refused:
        _transfer(org, to_unit=org.squad1)
    assert refused.value.fields == {"to_unit": "张伟 已在执法一中队"}


def test_it_refuses_someone_who_may_not_manage_people(org):
    with pytest.raises(Forbidden, match="您无权管理人员"):
        transfers.start_transfer(org.admin, org.officer, to_unit=org.squad2, successor=org.officer2)
    assert not Clearance.objects.exists()


def test_a_departure_still_disables_the_account(org):
    item = clearance.start(org.admin, org.officer, "leave", org.officer2, reason="辞职")
    assert status_of(org.officer) == "离职交接中"
    return_device(org.camera, operator=org.admin)
    clearance.complete(org.admin, item)
    org.officer.refresh_from_db()
    assert not org.officer.is_active and org.officer.unit == org.squad1
    assert status_of(org.officer) == "已离职"


def test_a_transfer_out_of_the_agency_disables_the_account(org):
    item = clearance.start(org.admin, org.officer, "transfer", org.officer2, reason="调往县局")
    return_device(org.camera, operator=org.admin)
    clearance.complete(org.admin, item)
    org.officer.refresh_from_db()
    assert not org.officer.is_active
    assert status_of(org.officer) == "已调离"
    assert status_of(org.officer2) == "在岗"
    User.objects.filter(pk=org.officer2.pk).update(is_active=False)
    org.officer2.refresh_from_db()
    assert status_of(org.officer2) == "已停用"


def test_it_is_started_from_the_persons_page_and_followed_on_the_clearance(org):
    client = client_for(org.sysadmin)
    url = f"/agency/people/{org.officer.pk}/transfer"
    response = client.post(url, {"to_unit": org.squad2.pk, "successor": org.officer2.pk})
    item = Clearance.objects.get()
    assert response.status_code == 302 and response.url == f"/equipment/clearances/{item.pk}/"
    assert item.to_unit == org.squad2 and item.successor == org.officer2
    page = client.get(response.url).content.decode()
    assert "已发起 张伟 调入 执法二中队 的交接" in page
    assert "调入单位：执法二中队" in page and "办结并调入 执法二中队" in page
    return_device(org.camera, operator=org.admin)
    response = client.post(f"/equipment/clearances/{item.pk}/complete")
    assert "张伟 的交接已办结，已调入 执法二中队" in client.get(response.url).content.decode()
    org.officer.refresh_from_db()
    assert org.officer.unit == org.squad2 and org.officer.is_active


def test_the_page_shows_the_reasons_under_their_fields(org):
    response = client_for(org.sysadmin).post(
        f"/agency/people/{org.officer.pk}/transfer", {"to_unit": "", "successor": ""}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert '<small class="errorlist">请选择调入单位</small>' in page
    assert '<small class="errorlist">请选择资料交接人（在岗人员）</small>' in page
    assert not Clearance.objects.exists()


def test_a_transfer_already_under_way_is_said_on_the_page(org):
    clearance.start(org.admin, org.officer, "leave", org.officer2)
    response = client_for(org.sysadmin).post(
        f"/agency/people/{org.officer.pk}/transfer",
        {"to_unit": org.squad2.pk, "successor": org.other_officer.pk},
    )
    assert response.status_code == 409
    assert "张伟 已有办理中的交接" in response.content.decode()


def test_the_clearance_start_page_takes_a_destination_too(org):
    response = client_for(org.admin).post(
        "/equipment/clearances/new",
        {
            "person": org.officer.pk,
            "kind": "transfer",
            "successor": org.officer2.pk,
            "to_unit": org.squad1.pk,
        },
    )
    assert response.status_code == 422  # the admin of 一中队 sees only his unit: already there
    assert "调入单位与 张伟 现所属单位相同" in response.content.decode()
    response = client_for(org.admin).post(
        "/equipment/clearances/new",
        {"person": org.officer.pk, "kind": "leave", "successor": org.officer2.pk},
    )
    assert Clearance.objects.get().to_unit is None
