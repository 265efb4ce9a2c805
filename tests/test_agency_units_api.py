"""/api/v1/units (issue 18 §2): the same services as the pages, every refusal with its status
and Chinese reasons; reading within one's sight, writing for system administrators."""

from __future__ import annotations

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.org.models import Unit
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import Org, client_for

JSON = "application/json"


@pytest.fixture
def api(org: Org):
    return client_for(org.sysadmin)


def test_it_lists_the_tree_with_the_profile_each_unit_follows(org: Org, api):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    rows = api.get("/api/v1/units").json()
    assert [(r["name"], r["depth"], r["parent_id"]) for r in rows] == [
        ("某市市场监督管理局", 0, None),
        ("执法一中队", 1, org.bureau.pk),
        ("执法二中队", 1, org.bureau.pk),
    ]
    squad1 = rows[1]
    assert (squad1["profile"], squad1["profile_name"], squad1["profile_unit_id"]) == (
        "fuzhou",
        "福州市城市管理委员会",
        org.bureau.pk,
    )
    assert squad1["path"] == org.squad1.path and squad1["retired"] is False


def test_everyone_reads_only_the_units_in_his_sight(org: Org):
    names = [r["name"] for r in client_for(org.officer).get("/api/v1/units").json()]
    assert names == ["执法一中队"]
    names = [r["name"] for r in client_for(org.leader).get("/api/v1/units").json()]
    assert names == ["某市市场监督管理局", "执法一中队", "执法二中队"]
    assert client_for(org.head2).get(f"/api/v1/units/{org.squad1.pk}").status_code == 404
    assert client_for(org.officer).get(f"/api/v1/units/{org.squad1.pk}").status_code == 200


def test_it_creates_a_unit_with_its_profile(org: Org, api):
    response = api.post(
        "/api/v1/units",
        {"name": "办公室", "parent_id": org.bureau.pk, "profile": "chengde"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["code"], body["profile"]) == ("办公室", "T350200-03", "chengde")
    assert body["profile_unit_id"] == body["id"]
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("seq"))
    assert actions[-2:] == ["agency.unit_create", "policy.assign"]


def test_a_refused_creation_names_each_field_and_writes_nothing(org: Org, api):
    response = api.post(
        "/api/v1/units",
        {"name": "执法一中队", "code": "T350200-02", "parent_id": org.bureau.pk},
        content_type=JSON,
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "name": "某市市场监督管理局下已有名为“执法一中队”的单位",
        "code": "单位代码 T350200-02 已属于 执法二中队",
    }
    assert Unit.objects.count() == 3


def test_an_unknown_parent_or_profile_is_refused(org: Org, api):
    response = api.post("/api/v1/units", {"name": "三中队", "parent_id": 99999}, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "parent_id", "message": "所选上级单位不存在"}]
    response = api.post(
        "/api/v1/units",
        {"name": "三中队", "parent_id": org.bureau.pk, "profile": "nosuch"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert not Unit.objects.filter(name="三中队").exists()  # the unit went with the refusal


def test_patch_changes_only_what_is_sent(org: Org, api):
    url = f"/api/v1/units/{org.squad2.pk}"
    response = api.patch(url, {"field_squad": True, "profile": "fuzhou"}, content_type=JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["field_squad"], body["profile"]) == ("执法二中队", True, "fuzhou")
    response = api.patch(url, {"parent_id": org.squad1.pk, "name": "二组"}, content_type=JSON)
    body = response.json()
    assert (body["name"], body["parent_id"], body["depth"]) == ("二组", org.squad1.pk, 2)
    assert body["path"].startswith(org.squad1.path)
    response = api.patch(url, {"profile": None}, content_type=JSON)
    assert response.json()["profile"] is None  # inherits again: nobody above has one


def test_patch_refuses_a_move_under_its_own_subtree(org: Org, api):
    response = api.patch(
        f"/api/v1/units/{org.bureau.pk}", {"parent_id": org.squad1.pk}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "parent_id", "message": "不能把某市市场监督管理局移到其本身或其下级单位之下"}
    ]


def test_retire_is_refused_with_each_reason_then_done(org: Org, api):
    response = api.post(
        f"/api/v1/units/{org.squad1.pk}/retire", {"reason": "撤并"}, content_type=JSON
    )
    assert response.status_code == 409
    messages = [e["message"] for e in response.json()["errors"]]
    assert "仍有未报废的设备 1 台（3501001）" in messages
    empty = api.post(
        "/api/v1/units", {"name": "专班", "parent_id": org.bureau.pk}, content_type=JSON
    )
    url = f"/api/v1/units/{empty.json()['id']}"
    response = api.post(url + "/retire", {"reason": ""}, content_type=JSON)
    assert response.status_code == 422
    response = api.post(url + "/retire", {"reason": "任务结束"}, content_type=JSON)
    assert response.status_code == 200 and response.json()["retired"] is True
    response = api.patch(url, {"name": "专班二"}, content_type=JSON)
    assert response.status_code == 409
    assert response.json()["detail"] == "专班已撤销，请先恢复"
    response = api.post(url + "/reinstate", {}, content_type=JSON)
    assert response.status_code == 200 and response.json()["retired"] is False


@pytest.mark.parametrize("who", ["bureau_admin", "leader", "officer"])
def test_writing_is_for_system_administrators(org: Org, who):
    client = client_for(getattr(org, who))
    response = client.post("/api/v1/units", {"name": "三中队"}, content_type=JSON)
    assert response.status_code == 403
    assert response.json()["detail"] == "无权管理单位（仅限系统管理员）"
    response = client.patch(f"/api/v1/units/{org.squad1.pk}", {"name": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert client.get("/api/v1/units/offices").status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="agency.").exists()
