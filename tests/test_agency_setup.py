"""Issue 18 §4: the first-run checklist — its steps, step 1 (the agency's name and profile)
done on the page, what is still missing before officers can start, computed from the data —
and where a system administrator lands after signing in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from avrecords.agency import setup
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device, Station
from avrecords.org.models import Role, Unit, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile, UnitPolicy
from tests.conftest import PASSWORD, client_for


def _missing() -> list[str]:
    return [m.text for m in setup.checklist().missing]


def _says(fragment: str) -> bool:
    return any(fragment in text for text in _missing())


def _profile(org, code: str = "tongbai") -> None:
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code=code))


@pytest.fixture
def lone_admin(db) -> User:
    admin = User(username="linhai", full_name="林海", role=Role.SYSADMIN, is_staff=True)
    admin.set_password(PASSWORD)
    admin.save()
    return admin


# --- what is missing ---------------------------------------------------------------------


def test_a_new_installation_lacks_everything(lone_admin):
    missing = _missing()
    assert any("尚未设置机构名称" in m for m in missing)
    for fragment in (
        "还没有执法人员",
        "还没有登记执法记录仪",
        "还没有采集站",
        "还没有人获准知悉涉密内容",
    ):
        assert _says(fragment), fragment
    assert not setup.checklist().complete


def test_units_without_a_profile_are_named_until_one_is_assigned(org):
    assert _says("某市市场监督管理局、执法一中队、执法二中队没有适用的执法策略")
    _profile(org)
    assert not _says("没有适用的执法策略")


def test_a_unit_with_officers_and_no_unit_head_over_it_is_named_until_one_is_added(org):
    _profile(org)
    assert _says("执法一中队有执法人员，适用的规定要求由单位负责人审批")
    assert not _says("执法二中队有执法人员")  # 孙立 heads it
    User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )
    assert not _says("要求由单位负责人审批")


def test_a_missing_leader_is_named_where_the_chains_need_one(org):
    _profile(org)
    org.leader.is_active = False
    org.leader.save()
    assert _says("要求由分管领导审批，但本单位及上级单位还没有分管领导")


def test_the_office_a_profile_names_is_asked_for_until_it_exists_with_its_head(org):
    _profile(org, "chengde")
    assert _says("适用的规定要求由“办公室”负责人审核，但某市市场监督管理局下还没有“办公室”")
    office = Unit.objects.create(name="办公室", code="T350200-09", parent=org.bureau)
    assert _says("“办公室”还没有单位负责人")
    User.objects.create(username="bangong", full_name="何静", role=Role.UNIT_HEAD, unit=office)
    assert not _says("办公室")


def test_nobody_cleared_for_confidential_material_is_named_until_someone_is(org):
    assert _says("还没有人获准知悉涉密内容")
    org.leader.secrecy_clearances = ["privacy"]
    org.leader.save()
    assert not _says("涉密")


def test_no_device_and_no_station_are_named_until_registered(lone_admin):
    unit = Unit.objects.create(name="福州市市场监督管理局", code="FZ")
    assert _says("还没有登记执法记录仪") and _says("还没有采集站")
    Device.objects.create(serial="3501001", unit=unit)
    Station.objects.create(name="一中队采集站", unit=unit)
    assert not _says("还没有登记执法记录仪") and not _says("还没有采集站")


def test_the_checklist_is_complete_once_nothing_is_missing(org):
    _profile(org)
    User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )
    org.leader.secrecy_clearances = ["privacy"]
    org.leader.save()
    checklist = setup.checklist()
    assert checklist.missing == [] and checklist.complete
    assert all(step.done for step in checklist.steps)


# --- the page and step 1 -------------------------------------------------------------------


def test_the_page_shows_the_steps_their_state_and_what_is_missing(org):
    page = client_for(org.sysadmin).get("/setup/").content.decode()
    for words in ("机构名称与执法策略", "单位", "人员", "设备台账", "采集站", "开始执法前还缺少"):
        assert words in page
    assert "共 3 个单位" in page and "已登记 2 台设备" in page and "已登记 2 个采集站" in page
    assert "执法人员 3 人" in page
    # stations are registered on their own page now (issue 19 §1), not in the admin
    assert 'href="/stations/new"' in page and "登记采集站" in page and "后台管理" not in page
    for page_of_another_part in ("agency:units", "agency:roster", "equipment:device_import"):
        assert f'href="{reverse(page_of_another_part)}"' in page


def test_step_1_names_a_new_agency_and_gives_it_a_profile(lone_admin):
    response = client_for(lone_admin).post(
        "/setup/agency", {"name": "福州市市场监督管理局", "code": "FZ350100", "profile": "fuzhou"}
    )
    assert response.status_code == 302 and response["Location"] == "/setup/"
    root = Unit.objects.get(parent=None)
    assert (root.name, root.code) == ("福州市市场监督管理局", "FZ350100")
    assert UnitPolicy.objects.get(unit=root).profile.code == "fuzhou"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"agency.unit_create", "policy.assign"} <= actions
    assert setup.checklist().steps[0].done


def test_step_1_renames_the_existing_agency(org):
    client_for(org.sysadmin).post(
        "/setup/agency", {"name": "福州市市场监督管理局", "code": "T350200", "profile": "fuzhou"}
    )
    org.bureau.refresh_from_db()
    assert (
        org.bureau.name == "福州市市场监督管理局" and Unit.objects.filter(parent=None).count() == 1
    )
    assert AuditEntry.objects.filter(action="agency.unit_rename").exists()


def test_step_1_shows_each_reason_under_its_field_and_saves_nothing(lone_admin):
    response = client_for(lone_admin).post("/setup/agency", {"name": "", "profile": "fuzhou"})
    assert response.status_code == 422
    assert "请填写单位名称" in response.content.decode()
    assert not Unit.objects.exists() and not UnitPolicy.objects.exists()


def test_step_1_insists_on_a_profile(lone_admin):
    response = client_for(lone_admin).post("/setup/agency", {"name": "福州市市场监督管理局"})
    assert response.status_code == 422 and "请选择执法策略" in response.content.decode()
    assert not Unit.objects.exists()


def test_only_a_system_administrator_sets_up(org):
    for who in (org.officer, org.leader, org.bureau_admin):
        client = client_for(who)
        assert client.get("/setup/").status_code == 403
        assert (
            client.post("/setup/agency", {"name": "改名", "profile": "fuzhou"}).status_code == 403
        )
        assert client.post("/setup/later").status_code == 403
    assert Unit.objects.get(pk=org.bureau.pk).name == "某市市场监督管理局"


# --- landing after signing in ------------------------------------------------------------


def _sign_in(username: str):
    client = client_for(None)
    response = client.post("/login/", {"username": username, "password": PASSWORD}, follow=True)
    return client, [url for url, _ in response.redirect_chain]


def test_a_system_administrator_lands_on_the_checklist_until_it_is_complete(org):
    _, went = _sign_in("xitong")
    assert went == ["/setup/"]
    _profile(org)
    User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )
    org.leader.secrecy_clearances = ["privacy"]
    org.leader.save()
    _, went = _sign_in("xitong")
    assert went == ["/"]


def test_later_sends_him_to_the_workbench_from_then_on(org):
    client, _ = _sign_in("xitong")
    response = client.post("/setup/later")
    assert response.status_code == 302 and response["Location"] == "/"
    _, went = _sign_in("xitong")
    assert went == ["/"]
    assert client_for(org.sysadmin).get("/setup/").status_code == 200  # still in the menu


def test_other_people_land_on_the_workbench(org):
    _, went = _sign_in("zhangwei")
    assert went == ["/"]


def test_the_demo_voids_the_first_admin_code_and_its_admin_lands_on_the_workbench(
    lone_admin, settings, tmp_path
):
    from avrecords.agency import first_admin
    from avrecords.demo.management.commands.avdemo import settle_first_run

    settings.AVRECORDS_HOME = tmp_path
    first_admin.code_path().write_text("ABCD-EFGH-JKLM-NPQR\n")
    assert setup.lands_on_setup(lone_admin)

    assert settle_first_run() is True  # the demo says the code printed by init is void

    assert not first_admin.code_path().exists()
    assert settle_first_run() is False
    assert not setup.lands_on_setup(lone_admin)
