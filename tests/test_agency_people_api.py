"""/api/v1/people (issue 18 §2): an HR system lists, adds, changes people and resets a
password with the rules and Chinese reasons of the pages (agency.people)."""

from __future__ import annotations

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, User
from tests.agency_people_fixtures import let_unit_admins_manage_people
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def entries(action: str):
    return AuditEntry.objects.filter(action=action)


def post(user, path: str, body: dict | None = None):
    return client_for(user).post(f"/api/v1{path}", body or {}, content_type="application/json")


def patch(user, path: str, body: dict):
    return client_for(user).patch(f"/api/v1{path}", body, content_type="application/json")


def get(user, path: str):
    return client_for(user).get(f"/api/v1{path}")


def test_the_list_is_paginated_and_filtered_like_the_page(org, settings):
    settings.AVRECORDS_PAGE_SIZE = 4
    body = get(org.sysadmin, "/people").json()
    assert (body["count"], body["page"], body["page_size"], len(body["results"])) == (9, 1, 4, 4)
    body = get(org.sysadmin, f"/people?unit={org.squad2.pk}&role=officer").json()
    assert [p["full_name"] for p in body["results"]] == ["杨军"]
    zhang = get(org.sysadmin, "/people?q=350211").json()["results"][0]
    assert zhang["unit_code"] == "T350200-01" and zhang["role_label"] == "执法人员"
    assert zhang["active"] is True and zhang["badge_no"] == "35020019001"


def test_a_bad_filter_is_422_naming_the_parameter(org):
    response = get(org.sysadmin, "/people?role=mayor")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


def test_it_adds_a_person_by_unit_code_and_answers_the_password_once(org):
    response = post(
        org.sysadmin,
        "/people",
        {
            "username": "lina",
            "full_name": "李娜",
            "unit_code": "T350200-02",
            "badge_no": "３５０１００１２",
            "role": "supervisor",
            "supervised_unit_codes": ["T350200-01"],
            "secrecy_clearances": ["privacy"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = User.objects.get(username="lina")
    assert person.check_password(body["initial_password"]) and body["must_change_password"]
    assert body["unit_id"] == org.squad2.pk and body["badge_no"] == "35010012"
    assert body["supervised_unit_ids"] == [org.squad1.pk]
    assert "initial_password" not in get(org.sysadmin, f"/people/{person.pk}").json()
    assert entries("agency.person_create").count() == 1


def test_it_refuses_bad_fields_with_422_naming_each_and_writes_nothing(org):
    response = post(
        org.sysadmin,
        "/people",
        {"username": "lina", "full_name": "李娜", "badge_no": "35020019006", "phone": "123"},
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["badge_no"] == "执法证号 35020019006 已属于 杨军（执法二中队）"
    assert errors["unit_id"] == "请选择所属单位"
    assert "phone" in errors
    assert not User.objects.filter(username="lina").exists()
    assert not entries("agency.person_create").exists()


def test_an_unknown_unit_is_422(org):
    response = post(
        org.sysadmin, "/people", {"username": "lina", "full_name": "李娜", "unit_id": 999999}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "unit_id", "message": "单位不存在或不在您的管理范围内"}
    ]


def test_a_patch_changes_only_what_it_sends_and_once(org):
    response = patch(org.sysadmin, f"/people/{org.officer2.pk}", {"phone": "13800138000"})
    assert response.status_code == 200 and response.json()["phone"] == "13800138000"
    assert response.json()["badge_no"] == "35020019002"
    patch(org.sysadmin, f"/people/{org.officer2.pk}", {"phone": "13800138000"})
    (entry,) = entries("agency.person_update")
    assert entry.detail == {"before": {"phone": ""}, "after": {"phone": "13800138000"}}


def test_a_patch_that_would_remove_the_last_system_administrator_is_409(org):
    response = patch(org.sysadmin, f"/people/{org.sysadmin.pk}", {"role": "officer"})
    assert response.status_code == 409
    assert response.json()["detail"] == "不能取消最后一名系统管理员的角色"
    org.sysadmin.refresh_from_db()
    assert org.sysadmin.role == Role.SYSADMIN


def test_moving_someone_who_holds_a_device_is_409_pointing_to_the_transfer(org):
    response = patch(org.sysadmin, f"/people/{org.officer.pk}", {"unit_code": "T350200-02"})
    assert response.status_code == 409 and "请通过调动办理交接" in response.json()["detail"]


def test_a_password_reset_answers_the_temporary_password_once(org):
    response = post(org.sysadmin, f"/people/{org.officer.pk}/password-reset")
    assert response.status_code == 200
    org.officer.refresh_from_db()
    assert org.officer.check_password(response.json()["temporary_password"])
    assert org.officer.must_change_password
    assert entries("agency.password_reset").count() == 1


def test_those_who_do_not_manage_people_get_403(org):
    for response in (
        get(org.admin, "/people"),
        get(org.admin, f"/people/{org.officer.pk}"),
        post(org.admin, "/people", {"username": "lina", "full_name": "李娜"}),
        patch(org.admin, f"/people/{org.officer.pk}", {"phone": "13800138000"}),
        post(org.admin, f"/people/{org.officer.pk}/password-reset"),
    ):
        assert response.status_code == 403 and response.json()["detail"].startswith("无权")
    assert not AuditEntry.objects.filter(action__startswith="agency.").exists()


def test_a_unit_administrator_allowed_by_his_profile_reaches_his_subtree_only(org):
    let_unit_admins_manage_people(org)
    names = [p["full_name"] for p in get(org.admin, "/people").json()["results"]]
    assert "张伟" in names and "杨军" not in names
    assert get(org.admin, f"/people/{org.other_officer.pk}").status_code == 404
    response = patch(org.admin, f"/people/{org.officer.pk}", {"role": "sysadmin"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "role", "message": "您无权授予系统管理员角色"}]


def test_ones_own_password_is_not_reset_through_the_api(org):
    response = post(org.sysadmin, f"/people/{org.sysadmin.pk}/password-reset")
    assert response.status_code == 409 and "修改密码" in response.json()["detail"]
