"""One error mapping (issue 16 §5): a service's typed refusal answers the same status wherever it
is raised, with its Chinese reason — on the API as JSON (`avrecords.api._refused`), on pages as
the 403/404 page or the refused page with a way back (`web.refusal_pages`).

Each API case goes through a real endpoint whose service raises the type; on pages the 403 and
404 come from real views, and the 409/422 page from a real view whose service refuses with a
type the view does not catch itself.
"""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.cases import services as cases
from avrecords.cases.models import Case
from avrecords.fixity import services as fixity
from avrecords.lib.refusals import Conflict, Invalid, Refusal, fields_named
from avrecords.policies.models import PolicyProfile
from tests.conftest import client_for
from tests.rows import make

BACK = '<a href="/fixity/">返回</a>'


def _yaml(code: str) -> str:
    return PolicyProfile.objects.get(code=code).source


# --- the API ----------------------------------------------------------------------------------


def test_a_service_forbidden_is_403_with_its_reason_on_the_api(org):
    api = client_for(org.sysadmin)
    answer = api.put("/api/v1/policies/tongbai", _yaml("tongbai"), content_type="application/yaml")
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "无权修改：随产品提供的策略不能修改；请导出后改用新的代码导入"
    }


def test_not_found_is_404_with_its_reason_on_the_api(org):
    api = client_for(org.admin)
    assert api.get("/api/v1/policies/nosuch").json() == {"detail": "策略不存在"}
    missing = api.get("/api/v1/holds/999999")  # the scope manager's get_visible
    assert missing.status_code == 404
    assert missing.json() == {"detail": "记录不存在或不在您的权限范围内"}


def test_a_service_conflict_is_409_with_its_reason_on_the_api(org):
    bound = make(org, "A.MP4", device=org.camera)  # officer and device known: nothing to assign
    answer = client_for(org.admin).post(
        f"/api/v1/recordings/{bound.pk}/assignment",
        {"officer_id": org.officer.pk},
        content_type="application/json",
    )
    assert answer.status_code == 409
    assert answer.json() == {"detail": "该音像记录已确定执法人员和设备，无需指派"}


def test_a_service_invalid_is_422_with_every_reason_on_the_api(org):
    text = (
        _yaml("tongbai")
        .replace("code: tongbai", "code: refused_here", 1)
        .replace("officers_per_camera: 3", "officers_per_camera: x")
    )
    answer = client_for(org.sysadmin).post(
        "/api/v1/policies", text, content_type="application/yaml"
    )
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "策略未保存：staffing.officers_per_camera：须为整数",
        "errors": [{"field": "staffing.officers_per_camera", "message": "须为整数"}],
    }


def test_an_older_refusal_keeps_its_400_on_the_api(org):
    case = cases.open_case(
        org.admin,
        cases.CaseInput(
            number="榕市监罚〔2026〕99号",
            title="虚假宣传案",
            case_type="penalty",
            unit=org.squad1,
            opened_on=dt.date(2026, 11, 2),
        ),
    )
    cases.close_case(org.admin, case)
    answer = client_for(org.admin).post(
        f"/api/v1/cases/{case.pk}/close", {}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": f"案卷状态为“{Case.objects.get(pk=case.pk).get_status_display()}”，不能结案"
    }


# --- pages ------------------------------------------------------------------------------------


def test_a_forbidden_page_says_why_and_leads_back(org):
    page = client_for(org.officer).get("/retention/", HTTP_REFERER="http://testserver/cases/")
    body = page.content.decode()
    assert page.status_code == 403
    assert "无权查看保存期限：仅单位负责人、分管领导、管理员、监督人员和档案管理员" in body
    assert '<a href="/cases/">返回</a>' in body


def test_a_forbidden_page_without_a_reason_keeps_its_general_words(org):
    page = client_for(org.officer).get("/policies/new")
    assert page.status_code == 403
    assert "您的角色没有此项操作的权限" in page.content.decode()


def test_a_not_found_page_names_nothing_and_leads_back(org):
    page = client_for(org.officer).get("/policies/nosuch/", HTTP_REFERER="https://evil.example/x")
    body = page.content.decode()
    assert page.status_code == 404
    assert "未找到" in body and "策略不存在" not in body
    assert '<a href="/">返回</a>' in body  # another site's page is never where 返回 leads


@pytest.mark.parametrize(
    "refusal, status, shown",
    [
        (Conflict("该告警已由他人确认"), 409, ["该告警已由他人确认"]),
        (
            Invalid(fields={"note": "确认说明最多 500 字", "check": "告警编号无效"}),
            422,
            ["确认说明最多 500 字", "告警编号无效"],
        ),
        (Refusal("无法确认该告警"), 400, ["无法确认该告警"]),
    ],
)
def test_a_refusal_a_page_does_not_catch_is_the_refused_page(
    org, monkeypatch, refusal, status, shown
):
    def refuse(*args, **kwargs):
        raise refusal

    monkeypatch.setattr(fixity, "acknowledge", refuse)
    page = client_for(org.admin).post(
        "/fixity/alarms/1/acknowledge", {"note": "已核"}, HTTP_REFERER="http://testserver/fixity/"
    )
    body = page.content.decode()
    assert page.status_code == status
    assert "未能办理" in body and all(reason in body for reason in shown)
    assert BACK in body


def test_the_pages_answer_a_real_service_forbidden_and_not_found(org):
    """fixity.acknowledge refuses the person (Forbidden) before it looks for the alarm."""
    officer = client_for(org.officer).post("/fixity/alarms/1/acknowledge", {"note": "已核"})
    assert officer.status_code == 403 and "无权确认完整性告警" in officer.content.decode()
    missing = client_for(org.admin).post("/fixity/alarms/999999/acknowledge", {"note": "已核"})
    assert missing.status_code == 404 and "未找到" in missing.content.decode()


def test_a_services_field_names_become_the_apis_and_the_refusal_stays_itself():
    """`fields_named`: an API body says `unit_id` where the service says `unit`; the refusal
    keeps its class (its status), its message and its reasons."""
    with pytest.raises(Conflict) as caught, fields_named({"unit": "unit_id"}):
        raise Conflict(fields={"unit": "该单位已撤销", "name": "名称已被使用"})
    assert caught.value.fields == {"unit_id": "该单位已撤销", "name": "名称已被使用"}
    assert caught.value.message == "该单位已撤销；名称已被使用"
    assert caught.value.status == 409
