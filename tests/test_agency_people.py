"""People services (issue 18 §1): add and edit a person, reset a password, the checks and
refusals every face shares (agency.people), and who may use them (agency.permissions)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from avrecords.agency import badges, people
from avrecords.agency.permissions import can_manage_people
from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Finding, FindingStatus
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound
from avrecords.org.models import Role, Secrecy, Unit, User
from avrecords.policies.models import PolicyProfile
from tests.agency_people_fixtures import let_unit_admins_manage_people
from tests.conftest import client_for
from tests.rows import make

pytestmark = pytest.mark.django_db


def entries(action: str | None = None):
    """The agency's audit entries (the org fixture's device issues are not ours)."""
    qs = AuditEntry.objects.filter(action__startswith="agency.")
    return qs.filter(action=action) if action else qs


def add(org, actor=None, **fields):
    wanted = {"username": "lina", "full_name": "李娜", "unit": org.squad2, **fields}
    return people.create_person(actor or org.sysadmin, **wanted)


# --- normalise -----------------------------------------------------------------------------


def test_normalise_makes_full_width_numbers_half_width_and_upper_case():
    tidy = people.normalise(
        {
            "badge_no": " ３５０１００１２ｘ ",
            "officer_no": "ab－12",
            "phone": "１３８００１３８０００",
        }
    )
    assert tidy == {"badge_no": "35010012X", "officer_no": "AB-12", "phone": "13800138000"}


def test_normalise_turns_empty_numbers_into_none_and_leaves_absent_fields_absent():
    assert people.normalise({"badge_no": "  ", "officer_no": ""}) == {
        "badge_no": None,
        "officer_no": None,
    }
    assert people.normalise({}) == {}


def test_normalise_strips_names_and_drops_repeated_clearances():
    tidy = people.normalise(
        {
            "full_name": " 李娜 ",
            "username": "ｌｉｎａ ",
            "secrecy_clearances": ["privacy", "privacy"],
        }
    )
    assert tidy == {"full_name": "李娜", "username": "lina", "secrecy_clearances": ["privacy"]}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("350", "执法证号应为 4 至 32 位（现为 3 位）"),
        ("3" * 33, "执法证号应为 4 至 32 位（现为 33 位）"),
        ("3501 0012", "执法证号只能由数字、字母和“-”组成，4 至 32 位"),
        ("闽3501", "执法证号只能由数字、字母和“-”组成，4 至 32 位"),
        ("FJ-35010012", ""),
    ],
)
def test_a_number_is_digits_letters_and_dashes_of_4_to_32(value, reason):
    assert badges.number_problem("执法证号", value) == reason


@pytest.mark.parametrize(
    "phone", ["", "13800138000", "0591-87654321", "059187654321", "010-1234567"]
)
def test_a_mobile_or_a_landline_with_area_code_is_a_phone(phone):
    assert badges.phone_problem(phone) == ""


@pytest.mark.parametrize("phone", ["87654321", "2380013800", "138001380001", "0591-8765", "电话"])
def test_anything_else_is_not_a_phone(phone):
    assert "11 位手机号码" in badges.phone_problem(phone)


# --- create --------------------------------------------------------------------------------


def test_it_adds_a_person_who_must_change_the_password_with_one_audit_entry(org):
    person, password = add(
        org, badge_no="３５０１００１２", officer_no="fz0012", phone="13800138000"
    )
    person.refresh_from_db()
    assert (person.badge_no, person.officer_no, person.unit) == ("35010012", "FZ0012", org.squad2)
    assert person.is_active and person.must_change_password and person.role == Role.OFFICER
    assert person.check_password(password) and len(password) >= 12
    (entry,) = entries("agency.person_create")
    assert entry.object_id == str(person.pk)
    assert entry.detail["after"]["badge_no"] == "35010012"
    assert entry.detail["after"]["unit"] == {"id": org.squad2.pk, "name": "执法二中队"}
    assert password not in str(entry.detail) and password not in entry.summary


def test_it_keeps_a_given_initial_password(org):
    person, password = add(org, password="Fz-2026-lina-ok")
    assert password == "Fz-2026-lina-ok" and person.check_password(password)


def test_it_refuses_a_weak_initial_password_and_writes_nothing(org):
    with pytest.raises(Invalid) as refused:
        add(org, password="123")
    assert "password" in refused.value.fields
    assert not User.objects.filter(username="lina").exists() and not entries().exists()


def test_it_names_every_bad_field_at_once_and_writes_nothing(org):
    before = entries().count()
    with pytest.raises(Invalid) as refused:
        people.create_person(
            org.sysadmin,
            username="zhangwei",
            full_name="",
            unit=None,
            badge_no="35020019001",
            officer_no="a b",
            phone="12345",
            role="mayor",
            secrecy_clearances=["top_secret"],
        )
    fields = refused.value.fields
    assert fields["username"] == "用户名“zhangwei”已被使用"
    assert fields["full_name"] == "请填写姓名"
    assert fields["unit"] == "请选择所属单位"
    assert fields["badge_no"] == "执法证号 35020019001 已属于 张伟（执法一中队）"
    assert fields["officer_no"] == "执法记录编号只能由数字、字母和“-”组成，4 至 32 位"
    assert "11 位手机号码" in fields["phone"]
    assert fields["role"] == "角色无效，请从列表中选择"
    assert "国家秘密、商业秘密、个人隐私" in fields["secrecy_clearances"]
    assert str(refused.value) == "；".join(fields.values())
    assert User.objects.count() == 9 and entries().count() == before


def test_it_refuses_a_number_that_differs_only_in_width_or_case(org):
    with pytest.raises(Invalid) as refused:
        add(org, officer_no="３５０２１１")
    assert refused.value.fields == {"officer_no": "执法记录编号 350211 已属于 张伟（执法一中队）"}


def test_it_refuses_a_user_name_that_looks_like_another(org):
    with pytest.raises(Invalid) as refused:
        add(org, username="zhangwe1")
    assert "形近" in refused.value.fields["username"]
    with pytest.raises(Invalid) as refused:
        add(org, username="li na")
    assert "只能由英文字母" in refused.value.fields["username"]


def test_it_refuses_a_retired_unit(org):
    org.squad2.retired_at = timezone.now()
    org.squad2.save()
    with pytest.raises(Invalid) as refused:
        add(org)
    assert refused.value.fields == {"unit": "执法二中队已撤销"}


def test_it_refuses_supervised_units_for_anyone_but_a_supervisor(org):
    with pytest.raises(Invalid) as refused:
        add(org, supervised_units=[org.squad1])
    assert refused.value.fields == {"supervised_units": "只有监督人员可以指定监督的单位"}
    person, _ = add(org, role=Role.SUPERVISOR, supervised_units=[org.squad1])
    assert list(person.supervised_units.all()) == [org.squad1]


def test_only_people_who_manage_people_may_add_them(org):
    for who in (org.officer, org.admin, org.leader):
        with pytest.raises(Forbidden) as refused:
            add(org, actor=who)
        assert str(refused.value) == "您无权管理人员"
    assert not entries().exists()


# --- update --------------------------------------------------------------------------------


def test_it_writes_one_entry_with_the_changed_fields_before_and_after(org):
    people.update_person(
        org.sysadmin, org.officer, full_name="张伟", phone="0591-87654321", badge_no="35020019001"
    )
    (entry,) = entries("agency.person_update")
    assert entry.detail == {"before": {"phone": ""}, "after": {"phone": "0591-87654321"}}
    assert "联系电话" in entry.summary


def test_an_update_that_changes_nothing_writes_nothing(org):
    people.update_person(
        org.sysadmin,
        org.officer,
        full_name=" 张伟 ",
        badge_no="３５０２００１９００１",
        unit=org.squad1,
        role=Role.OFFICER,
        secrecy_clearances=[],
        supervised_units=[],
    )
    assert not entries().exists()


def test_clearances_are_kept_in_order_and_compared_as_a_set(org):
    people.update_person(
        org.sysadmin, org.officer, secrecy_clearances=[Secrecy.PRIVACY, Secrecy.STATE_SECRET]
    )
    org.officer.refresh_from_db()
    assert org.officer.secrecy_clearances == ["state_secret", "privacy"]
    people.update_person(org.sysadmin, org.officer, secrecy_clearances=["privacy", "state_secret"])
    assert entries("agency.person_update").count() == 1


def test_a_supervisor_who_becomes_an_officer_supervises_nothing_any_more(org):
    person, _ = add(org, role=Role.SUPERVISOR, supervised_units=[org.squad1])
    people.update_person(org.sysadmin, person, role=Role.OFFICER)
    assert not person.supervised_units.exists()
    entry = entries("agency.person_update").get()
    assert entry.detail["after"] == {"role": "officer", "supervised_units": []}


def test_it_refuses_the_last_active_system_administrators_role(org):
    with pytest.raises(Conflict) as refused:
        people.update_person(org.sysadmin, org.sysadmin, role=Role.OFFICER, unit=org.bureau)
    assert str(refused.value) == "不能取消最后一名系统管理员的角色"
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.role == Role.SYSADMIN and not entries().exists()


def test_a_system_administrator_may_step_down_when_another_remains(org):
    other, _ = add(org, username="xitong2", role=Role.SYSADMIN, unit=org.bureau)
    people.update_person(other, org.sysadmin, role=Role.LEADER, unit=org.bureau)
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.role == Role.LEADER


def test_a_disabled_system_administrator_does_not_count(org):
    other, _ = add(org, username="xitong2", role=Role.SYSADMIN, unit=org.bureau)
    User.objects.filter(pk=other.pk).update(is_active=False)
    with pytest.raises(Conflict):
        people.update_person(org.sysadmin, org.sysadmin, role=Role.OFFICER)


def test_it_refuses_to_move_someone_who_holds_a_device(org):
    with pytest.raises(Conflict) as refused:
        people.update_person(org.sysadmin, org.officer, unit=org.squad2)
    assert "请通过调动办理交接" in str(refused.value)
    org.officer.refresh_from_db()
    assert org.officer.unit == org.squad1 and not entries().exists()


def test_it_refuses_to_move_someone_who_answers_for_recordings(org):
    make(org, "FZ0001.MP4", officer=org.officer2, unit=org.squad1)
    before = entries().count()
    with pytest.raises(Conflict) as refused:
        people.update_person(org.sysadmin, org.officer2, unit=org.squad2)
    assert "请通过调动办理交接" in str(refused.value)
    assert entries().count() == before


def test_it_refuses_to_move_someone_with_an_open_finding_until_it_is_closed(org):
    finding = Finding.objects.create(
        key="test:gap", kind="gap", unit=org.squad1, officer=org.officer2, summary="中断 5 分钟"
    )
    with pytest.raises(Conflict) as refused:
        people.update_person(org.sysadmin, org.officer2, unit=org.squad2)
    assert "请通过调动办理交接" in str(refused.value) and not entries().exists()
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.RESOLVED)
    people.update_person(org.sysadmin, org.officer2, unit=org.squad2)
    assert entries("agency.person_update").count() == 1


def test_it_moves_someone_who_holds_nothing(org):
    people.update_person(org.sysadmin, org.officer2, unit=org.squad2)
    org.officer2.refresh_from_db()
    assert org.officer2.unit == org.squad2
    entry = entries("agency.person_update").get()
    assert entry.detail["before"]["unit"]["name"] == "执法一中队"


def test_a_unique_number_taken_by_someone_else_is_refused_not_an_integrity_error(org):
    with pytest.raises(Invalid) as refused:
        people.update_person(org.sysadmin, org.officer2, badge_no="35020019006")
    assert refused.value.fields == {"badge_no": "执法证号 35020019006 已属于 杨军（执法二中队）"}


def test_renaming_a_user_to_a_variant_of_his_own_name_is_allowed(org):
    people.update_person(org.sysadmin, org.officer, username="ZhangWei")
    org.officer.refresh_from_db()
    assert org.officer.username == "ZhangWei"


def test_one_does_not_change_ones_own_user_name(org):
    with pytest.raises(Invalid) as refused:
        people.update_person(org.sysadmin, org.sysadmin, username="xitong_new", phone="13800138000")
    assert refused.value.fields == {"username": "不能修改本人的用户名，请由其他系统管理员修改"}
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.username == "xitong" and org.sysadmin.phone == ""


def test_a_unit_administrator_does_not_change_his_own_role(org):
    let_unit_admins_manage_people(org)
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Invalid) as refused:
        people.update_person(admin, admin, role=Role.LEADER)
    assert refused.value.fields == {"role": "不能修改本人的角色"}


# --- reset password ------------------------------------------------------------------------


def test_a_reset_gives_a_temporary_password_once_and_audits_without_it(org):
    password = people.reset_password(org.sysadmin, org.officer)
    org.officer.refresh_from_db()
    assert org.officer.check_password(password) and org.officer.must_change_password
    (entry,) = entries("agency.password_reset")
    assert password not in str(entry.detail) and password not in entry.summary
    assert people.reset_password(org.sysadmin, org.officer) != password


def test_one_does_not_reset_ones_own_password_here(org):
    with pytest.raises(Conflict) as refused:
        people.reset_password(org.sysadmin, org.sysadmin)
    assert "修改密码" in str(refused.value)
    assert not org.sysadmin.must_change_password and not entries().exists()


def test_only_managers_may_reset_a_password(org):
    with pytest.raises(Forbidden):
        people.reset_password(org.admin, org.officer)
    assert not entries().exists()


# --- unit administrators -------------------------------------------------------------------


def test_a_unit_administrator_manages_no_one_unless_his_profile_says_so(org):
    assert not can_manage_people(org.admin)
    assert can_manage_people(org.sysadmin)
    let_unit_admins_manage_people(org)
    fresh = User.objects.get(pk=org.admin.pk)
    assert can_manage_people(fresh)
    assert not can_manage_people(User.objects.get(pk=org.officer.pk))
    assert not can_manage_people(User.objects.get(pk=org.leader.pk))


def test_a_unit_administrator_edits_people_of_his_subtree_only(org):
    let_unit_admins_manage_people(org)
    admin = User.objects.get(pk=org.admin.pk)
    people.update_person(admin, org.officer, phone="13800138000")
    with pytest.raises(NotFound):
        people.update_person(admin, org.other_officer, phone="13800138000")
    with pytest.raises(Invalid) as refused:
        people.create_person(admin, username="lina", full_name="李娜", unit=org.squad2)
    assert refused.value.fields == {"unit": "所选单位不存在或不在您的管理范围内"}
    assert entries("agency.person_update").count() == 1
    assert not entries("agency.person_create").exists()


def test_a_unit_administrator_never_gives_the_system_administrator_role(org):
    let_unit_admins_manage_people(org)
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Invalid) as refused:
        people.update_person(admin, org.officer, role=Role.SYSADMIN)
    assert refused.value.fields == {"role": "您无权授予系统管理员角色"}
    with pytest.raises(Invalid):
        people.create_person(
            admin, username="lina", full_name="李娜", unit=org.squad1, role=Role.SYSADMIN
        )
    assert not entries("agency.person_update").exists()


def test_a_unit_administrator_gives_only_clearances_he_holds(org):
    let_unit_admins_manage_people(org)
    User.objects.filter(pk=org.admin.pk).update(secrecy_clearances=["privacy"])
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Invalid) as refused:
        people.update_person(admin, org.officer, secrecy_clearances=["privacy", "state_secret"])
    assert refused.value.fields == {
        "secrecy_clearances": "您本人没有“国家秘密”的知悉权限，不能授予他人"
    }
    people.update_person(admin, org.officer, secrecy_clearances=["privacy"])
    org.officer.refresh_from_db()
    assert org.officer.secrecy_clearances == ["privacy"]


def test_a_unit_administrator_does_not_touch_a_system_administrators_account(org):
    let_unit_admins_manage_people(org)
    keeper, _ = add(org, username="xitong2", role=Role.SYSADMIN, unit=org.squad1)
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Forbidden):
        people.reset_password(admin, keeper)
    with pytest.raises(Forbidden):
        people.update_person(admin, keeper, phone="13800138000")


def test_a_profile_without_the_personnel_section_keeps_people_with_system_administrators():
    fuzhou = PolicyProfile.objects.get(code="fuzhou").profile
    assert fuzhou.personnel.managed_by_unit_admins is False
    assert fuzhou.personnel.note


def test_a_unit_out_of_sight_is_refused_as_a_supervised_unit(org):
    let_unit_admins_manage_people(org, unit=org.squad1)
    admin = User.objects.get(pk=org.admin.pk)
    with pytest.raises(Invalid) as refused:
        people.update_person(
            admin, org.officer, role=Role.SUPERVISOR, supervised_units=[org.squad2]
        )
    assert refused.value.fields == {"supervised_units": "所选监督单位不存在或不在您的管理范围内"}
    assert Unit.objects.count() == 3


# --- pages ---------------------------------------------------------------------------------


def test_the_list_finds_people_by_name_user_name_or_number_and_filters_them(org):
    client = client_for(org.sysadmin)
    page = client.get("/agency/people/").content.decode()
    assert "张伟" in page and "杨军" in page and "执法证号" in page
    assert "张伟" in client.get("/agency/people/?q=３５０２００１９００１").content.decode()
    found = client.get("/agency/people/?q=wangfang").content.decode()
    assert "王芳" in found and "张伟" not in found
    squad2 = client.get(f"/agency/people/?unit={org.squad2.pk}").content.decode()
    assert "杨军" in squad2 and "张伟" not in squad2
    leaders = client.get("/agency/people/?role=leader").content.decode()
    assert "郑国华" in leaders and "张伟" not in leaders
    User.objects.filter(pk=org.officer2.pk).update(is_active=False)
    gone = client.get("/agency/people/?active=0").content.decode()
    assert "王芳" in gone and "已停用" in gone and "张伟" not in gone


def test_a_bad_filter_is_said_in_chinese_over_an_empty_list(org):
    page = client_for(org.sysadmin).get("/agency/people/?role=mayor").content.decode()
    assert "角色应为" in page and "没有符合条件的人员" in page


def test_the_list_pages_through_many_people(org, settings):
    settings.AVRECORDS_PAGE_SIZE = 4
    page = client_for(org.sysadmin).get("/agency/people/?page=2").content.decode()
    assert "第 2 / 3 页" in page and "上一页" in page


def test_the_new_person_page_adds_him_and_shows_the_password_once(org):
    client = client_for(org.sysadmin)
    assert "新增人员" in client.get("/agency/people/new").content.decode()
    response = client.post(
        "/agency/people/new",
        {
            "full_name": "李娜",
            "username": "lina",
            "badge_no": "ｆｚ－３５０１",
            "unit": org.squad2.pk,
            "role": "supervisor",
            "phone": "13800138000",
            "secrecy_clearances": ["privacy"],
            "supervised_units": [org.squad2.pk],
        },
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    person = User.objects.get(username="lina")
    assert person.badge_no == "FZ-3501" and person.secrecy_clearances == ["privacy"]
    assert list(person.supervised_units.all()) == [org.squad2]
    page = response.content.decode()
    assert "初始密码" in page and "只显示这一次" in page
    assert entries("agency.person_create").count() == 1


def test_the_new_person_page_shows_each_reason_under_its_field_and_saves_nothing(org):
    response = client_for(org.sysadmin).post(
        "/agency/people/new",
        {"full_name": "李娜", "username": "lina", "badge_no": "35020019006", "unit": ""},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "执法证号 35020019006 已属于 杨军（执法二中队）" in page and "请选择所属单位" in page
    assert not User.objects.filter(username="lina").exists()


def test_the_edit_page_changes_a_person_and_says_why_a_move_is_refused(org):
    client = client_for(org.sysadmin)
    page = client.get(f"/agency/people/{org.officer2.pk}/edit").content.decode()
    assert "王芳" in page and "35020019002" in page
    form = {
        "full_name": "王芳",
        "username": "wangfang",
        "badge_no": "35020019002",
        "officer_no": "350212",
        "unit": org.squad1.pk,
        "role": "officer",
        "phone": "0591-87654321",
    }
    response = client.post(f"/agency/people/{org.officer2.pk}/edit", form)
    assert response.status_code == 302
    org.officer2.refresh_from_db()
    assert org.officer2.phone == "0591-87654321"
    form.update(username="zhangwei2", unit=org.squad2.pk)
    response = client.post(f"/agency/people/{org.officer.pk}/edit", form)
    assert response.status_code == 422 and "请通过调动办理交接" in response.content.decode()
    assert entries("agency.person_update").count() == 1


def test_a_supervisors_units_are_not_kept_for_another_role(org):
    person, _ = add(org, role=Role.SUPERVISOR, supervised_units=[org.squad1])
    form = {"full_name": "李娜", "username": "lina", "unit": org.squad2.pk, "role": "officer"}
    form["supervised_units"] = [org.squad1.pk]
    response = client_for(org.sysadmin).post(f"/agency/people/{person.pk}/edit", form)
    assert response.status_code == 302
    assert not person.supervised_units.exists()


def test_the_password_page_asks_first_then_shows_the_temporary_password_once(org):
    client = client_for(org.sysadmin)
    page = client.get(f"/agency/people/{org.officer.pk}/password").content.decode()
    assert 'data-confirm="确定要重置 张伟 的密码吗' in page
    response = client.post(f"/agency/people/{org.officer.pk}/password")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    org.officer.refresh_from_db()
    assert org.officer.must_change_password
    assert "临时密码" in response.content.decode()
    assert entries("agency.password_reset").count() == 1


def test_the_pages_are_closed_to_those_who_do_not_manage_people(org):
    client = client_for(org.admin)
    for path in ("/agency/people/", "/agency/people/new", f"/agency/people/{org.officer.pk}/edit"):
        assert client.get(path).status_code == 403
    assert client.post(f"/agency/people/{org.officer.pk}/password").status_code == 403
    assert not entries().exists()


def test_a_unit_administrator_allowed_by_his_profile_sees_his_subtree_only(org):
    let_unit_admins_manage_people(org)
    client = client_for(org.admin)
    page = client.get("/agency/people/").content.decode()
    assert "张伟" in page and "杨军" not in page
    assert "系统管理员" not in client.get("/agency/people/new").content.decode()
    assert client.get(f"/agency/people/{org.other_officer.pk}/edit").status_code == 404
    menu = client.get("/agency/people/").content.decode()
    assert 'href="/agency/people/"' in menu


def test_a_system_administrator_without_a_unit_is_edited_without_choosing_one(org):
    other, _ = add(org, username="xitong2", role=Role.SYSADMIN, unit=org.bureau)
    User.objects.filter(pk=other.pk).update(must_change_password=False)
    client = client_for(other)
    page = client.get(f"/agency/people/{org.sysadmin.pk}/edit").content.decode()
    assert '<select name="unit">' in page
    form = {"full_name": "系统管理员", "username": "xitong", "unit": "", "role": "sysadmin"}
    response = client.post(
        f"/agency/people/{org.sysadmin.pk}/edit", {**form, "phone": "13800138000"}
    )
    assert response.status_code == 302
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.phone == "13800138000" and org.sysadmin.unit is None
