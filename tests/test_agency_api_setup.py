"""An agency set up entirely through the API (issue 18 §2, "done when"): from the first system
administrator (`avrecords createadmin`) to an access request decided step by step by the
people so created, with the chengde chain (the 办公室's head reviews, 001§22, then the leader
approves) and the fuzhou chain (the 执法单位负责人 approves, 004§20). Units, the profile, people
and roles go through /api/v1/units and /api/v1/people; each person changes the initial
password on the web page, as at a first sign-in; the recording the officer asks to copy is a
row made with tests/rows.py (uploading is tested elsewhere)."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.test import Client

from avrecords.org.models import Unit, User
from tests.rows import make

JSON = "application/json"
ADMIN_PASSWORD = "Xt7#qL2$mW9p"
OWN_PASSWORD = "Kv4!zR8&nB3s"  # each person's own, chosen at the first sign-in


class Api:
    """One person's HTTP Basic client of /api/v1 (as an HR or case system calls it)."""

    def __init__(self, username: str, password: str) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.client = Client(HTTP_AUTHORIZATION=f"Basic {token}")

    def get(self, path: str):
        return self.client.get("/api/v1" + path)

    def post(self, path: str, body: dict | None = None):
        return self.client.post("/api/v1" + path, body or {}, content_type=JSON)

    def created(self, path: str, body: dict) -> dict:
        response = self.post(path, body)
        assert response.status_code == 201, response.content.decode()
        return response.json()


@pytest.fixture
def sysadmin(db, tmp_path) -> Api:
    """The first system administrator, made on the server as the README says."""
    password_file = tmp_path / "password"
    password_file.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    call_command(
        "createadmin",
        "--username",
        "xitong",
        "--full-name",
        "李强",
        "--password-file",
        str(password_file),
    )
    return Api("xitong", ADMIN_PASSWORD)


def first_sign_in(person: dict) -> Api:
    """The person signs in with the initial password and chooses his own on the page."""
    browser = Client()
    assert browser.login(username=person["username"], password=person["initial_password"])
    response = browser.post(
        "/account/password/",
        {
            "old_password": person["initial_password"],
            "new_password1": OWN_PASSWORD,
            "new_password2": OWN_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert not User.objects.get(pk=person["id"]).must_change_password
    return Api(person["username"], OWN_PASSWORD)


def add_person(admin: Api, unit: dict, username: str, full_name: str, role: str, **more) -> Api:
    person = admin.created(
        "/people",
        {"username": username, "full_name": full_name, "unit_id": unit["id"], "role": role} | more,
    )
    assert person["must_change_password"] is True
    return first_sign_in(person)


def recording_of(username: str):
    officer = User.objects.get(username=username)
    return make(None, "3501001_130801_20261120100000_0001.MP4", officer=officer)


def ask_for_a_copy(officer: Api, recording) -> dict:
    request = officer.created(
        "/access-requests",
        {"kind": "copy", "reason": "复核现场检查过程", "recording_ids": [recording.pk]},
    )
    assert request["status"] == "pending"
    return request


def test_a_chengde_agency_is_set_up_through_the_api_and_its_people_decide_a_request(sysadmin):
    bureau = sysadmin.created(
        "/units", {"name": "承德县安全生产监督管理局", "code": "CD1308", "profile": "chengde"}
    )
    squad = sysadmin.created("/units", {"name": "执法一股", "parent_id": bureau["id"]})
    [needed] = sysadmin.get("/units/offices").json()
    assert (needed["name"], needed["cites"], needed["unit_id"]) == ("办公室", ["第二十二条"], None)
    assert needed["profile_unit_id"] == bureau["id"]  # where the office goes
    office = sysadmin.created("/units", {"name": "办公室", "parent_id": bureau["id"]})
    assert (bureau["profile"], squad["profile"], office["profile"]) == ("chengde",) * 3
    assert (squad["code"], office["code"]) == ("CD1308-01", "CD1308-02")
    units = sysadmin.get("/units").json()
    assert [u["name"] for u in units] == ["承德县安全生产监督管理局", "执法一股", "办公室"]

    officer = add_person(
        sysadmin, squad, "zhangwei", "张伟", "officer", badge_no="13080019001", officer_no="130801"
    )
    squad_head = add_person(sysadmin, squad, "chengang", "陈刚", "unit_head")
    office_head = add_person(sysadmin, office, "wangfang", "王芳", "unit_head")
    leader = add_person(sysadmin, bureau, "zhengguohua", "郑国华", "leader")
    keeper = add_person(sysadmin, squad, "linhai", "林海", "admin")
    [needed] = sysadmin.get("/units/offices").json()
    assert (needed["unit_id"], needed["heads"]) == (office["id"], ["王芳"])

    request = ask_for_a_copy(officer, recording_of("zhangwei"))
    assert request["chain"] == ["unit_head", "leader"]
    path = f"/access-requests/{request['id']}"

    # 001§22: the review is the 办公室's head's, not the squad head's.
    refused = squad_head.post(path + "/approve", {"comment": "同意"})
    assert refused.status_code in (400, 403), refused.content.decode()
    assert "办公室" in refused.json()["detail"]
    step = office_head.post(path + "/approve", {"comment": "审核同意"})
    assert step.status_code == 200, step.content.decode()
    assert (step.json()["status"], step.json()["step"]) == ("pending", 1)
    approved = leader.post(path + "/approve", {"comment": "批准"})
    assert approved.status_code == 200, approved.content.decode()
    assert approved.json()["status"] == "approved"
    assert [s["approver"] for s in approved.json()["steps"]] == ["王芳", "郑国华"]
    done = keeper.post(path + "/execute")
    assert done.status_code == 200, done.content.decode()
    assert done.json()["status"] == "active"


def test_without_its_office_chengde_names_the_missing_office(sysadmin):
    bureau = sysadmin.created("/units", {"name": "承德县安全生产监督管理局", "profile": "chengde"})
    squad = sysadmin.created("/units", {"name": "执法一股", "parent_id": bureau["id"]})
    officer = add_person(sysadmin, squad, "zhangwei", "张伟", "officer", officer_no="130801")
    squad_head = add_person(sysadmin, squad, "chengang", "陈刚", "unit_head")
    request = ask_for_a_copy(officer, recording_of("zhangwei"))
    refused = squad_head.post(f"/access-requests/{request['id']}/approve", {"comment": "同意"})
    assert refused.status_code in (400, 403)
    assert "未设置该单位" in refused.json()["detail"]
    # Setting the office up through the API is what the refusal asks for.
    office = sysadmin.created("/units", {"name": "办公室", "parent_id": bureau["id"]})
    office_head = add_person(sysadmin, office, "wangfang", "王芳", "unit_head")
    step = office_head.post(f"/access-requests/{request['id']}/approve", {"comment": "审核同意"})
    assert step.status_code == 200, step.content.decode()


def test_a_fuzhou_agency_is_set_up_through_the_api_and_its_unit_head_decides(sysadmin):
    commission = sysadmin.created(
        "/units", {"name": "福州市城市管理委员会", "code": "FZ3501", "profile": "fuzhou"}
    )
    detachment = sysadmin.created("/units", {"name": "执法支队", "parent_id": commission["id"]})
    squad = sysadmin.created(
        "/units", {"name": "一大队", "parent_id": detachment["id"], "field_squad": True}
    )
    assert squad["depth"] == 2 and squad["field_squad"] and squad["profile"] == "fuzhou"

    officer = add_person(
        sysadmin, squad, "zhangwei", "张伟", "officer", badge_no="35010019001", officer_no="350111"
    )
    head = add_person(sysadmin, squad, "chengang", "陈刚", "unit_head")
    add_person(sysadmin, commission, "zhengguohua", "郑国华", "leader")
    keeper = add_person(sysadmin, squad, "linhai", "林海", "admin")

    request = ask_for_a_copy(officer, recording_of("zhangwei"))
    assert request["chain"] == ["unit_head"]
    path = f"/access-requests/{request['id']}"
    approved = head.post(path + "/approve", {"comment": "同意"})
    assert approved.status_code == 200, approved.content.decode()
    assert approved.json()["status"] == "approved"
    done = keeper.post(path + "/execute")
    assert done.status_code == 200 and done.json()["status"] == "active"

    # The tree as an HR system reads it back.
    tree = {u["name"]: u for u in sysadmin.get("/units").json()}
    assert tree["一大队"]["parent_id"] == tree["执法支队"]["id"]
    assert Unit.objects.get(pk=squad["id"]).path.startswith(
        Unit.objects.get(pk=commission["id"]).path
    )
