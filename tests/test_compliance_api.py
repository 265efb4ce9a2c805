"""U1 from case systems: activities through the JSON API, and findings and 待办 read back."""

from __future__ import annotations

import pytest

from avrecords.compliance.models import Activity
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def body(org, **over):
    data = {
        "unit": org.squad1.code,
        "kind": "查封、扣押",
        "started_at": "2026-11-20T14:00:00+08:00",
        "ended_at": "2026-11-20T14:30:00+08:00",
        "officers": [org.officer.badge_no],
        "party": "福州市鼓楼区某餐饮店",
        "external_ref": "FZ-2026-0815",
    }
    data.update(over)
    return data


def test_a_case_system_creates_an_activity_and_reads_its_finding(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    client = client_for(org.admin)
    made = client.post("/api/v1/activities", body(org), content_type="application/json")
    assert made.status_code == 201
    answer = made.json()
    assert (answer["kind"], answer["must_record"], answer["cite"]) == (
        "seal_seizure",
        True,
        "004§7(3)",
    )
    again = client.post("/api/v1/activities", body(org), content_type="application/json")
    assert again.status_code == 409 and "FZ-2026-0815" in again.json()["detail"]
    findings = client_for(org.officer).get("/api/v1/findings").json()
    assert [(f["kind"], f["activity_id"]) for f in findings] == [("missing", answer["id"])]
    assert client_for(org.officer).get("/api/v1/todo").json()["explain"][0]["kind"] == "missing"
    assert (
        client_for(org.other_officer).get(f"/api/v1/activities/{answer['id']}").status_code == 404
    )


def test_bad_activities_are_refused_with_the_fields(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    response = client_for(org.admin).post(
        "/api/v1/activities",
        body(org, ended_at="2026-11-20T13:00:00+08:00", kind="跳广场舞"),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["活动类型", "实际结束"]
    assert response.json()["errors"][1]["message"] == "结束时间早于开始时间"
    assert not Activity.objects.exists()


def test_a_case_system_posts_with_http_basic_and_no_csrf_token(org):
    """Case systems are scripts: HTTP Basic, no session, no CSRF token (like station uploads)."""
    import base64

    from django.test import Client

    from tests.conftest import PASSWORD

    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    token = base64.b64encode(f"{org.admin.username}:{PASSWORD}".encode()).decode()
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Basic {token}")
    made = script.post("/api/v1/activities", body(org), content_type="application/json")
    assert made.status_code == 201
    listed = script.get("/api/v1/findings", {"status": "all"}).json()
    assert [f["kind"] for f in listed] == ["missing"]
    wrong = script.get("/api/v1/findings", {"status": "everything"})
    assert wrong.status_code == 422 and "应为" in wrong.json()["detail"]
    assert "（status）" in wrong.json()["detail"]
