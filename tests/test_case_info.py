"""M4/X1: filling in a recording's 案件编号, 当事人 and 地点 on its page; scoped, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from avrecords.audit.models import AuditEntry
from avrecords.recordings.models import Recording
from tests.conftest import client_for
from tests.rows import make

NEW = {
    "case_number": "桐市监罚〔2026〕88号",
    "party": "桐城市恒达建材有限公司",
    "place": "城东区湖滨南路9号",
}


@pytest.fixture
def rec(org) -> Recording:
    return make(org, "c1.mp4", party="旧当事人", place="", case_number="")


def post(user, rec, data=NEW, client=None):
    return (client or client_for(user)).post(f"/recordings/{rec.pk}/case-info", data)


def edits(rec):
    return list(AuditEntry.objects.filter(action="recording.edit", object_id=str(rec.pk)))


def test_it_saves_the_case_information_and_returns_to_the_page(org, rec):
    client = client_for(org.admin)
    response = post(org.admin, rec, client=client)
    assert response.status_code == 302 and response["Location"] == f"/recordings/{rec.pk}/"
    rec.refresh_from_db()
    assert (rec.case_number, rec.party, rec.place) == tuple(NEW.values())
    page = client.get(response["Location"]).content.decode()
    assert "案件信息已保存" in page and "桐城市恒达建材有限公司" in page


def test_it_audits_the_values_before_and_after(org, rec):
    post(org.admin, rec)
    [entry] = edits(rec)
    assert entry.actor_id == org.admin.pk
    assert entry.detail == {
        "before": {"case_number": "", "party": "旧当事人", "place": ""},
        "after": NEW,
    }


def test_it_audits_only_the_fields_that_changed(org, rec):
    post(org.admin, rec, {"party": "旧当事人", "place": "湖里区", "case_number": ""})
    [entry] = edits(rec)
    assert entry.detail == {"before": {"place": ""}, "after": {"place": "湖里区"}}


def test_it_writes_nothing_when_nothing_changes(org, rec):
    client = client_for(org.admin)
    data = {"party": " 旧当事人 ", "place": "", "case_number": ""}
    response = post(org.admin, rec, data, client=client)
    assert response.status_code == 302
    assert edits(rec) == []
    page = client.get(response["Location"]).content.decode()
    assert "案件信息没有变化" in page


def test_it_tidies_what_is_typed(org, rec):
    post(
        org.admin,
        rec,
        {"party": "ＡＢＣ  贸易\t公司", "place": "", "case_number": "〔２０２６〕１号"},
    )
    rec.refresh_from_db()
    assert (rec.party, rec.case_number) == ("ABC 贸易 公司", "〔2026〕1号")


def test_it_lets_an_officer_describe_his_own_recording(org, rec):
    assert post(org.officer, rec).status_code == 302
    assert edits(rec)[0].actor_id == org.officer.pk


@pytest.mark.parametrize(
    ("who", "status"),
    [("officer2", 404), ("other_admin", 404), ("other_officer", 404), ("leader", 403)],
)
def test_it_refuses_others_and_changes_nothing(org, rec, who, status):
    assert post(getattr(org, who), rec).status_code == status
    rec.refresh_from_db()
    assert rec.party == "旧当事人" and edits(rec) == []


def test_it_refuses_values_that_are_too_long(org, rec):
    response = post(org.admin, rec, {**NEW, "case_number": "号" * 65})
    assert response.status_code == 400
    assert "案件编号" in response.content.decode()
    rec.refresh_from_db()
    assert rec.case_number == "" and edits(rec) == []


def test_it_demands_a_csrf_token(org, rec):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.admin)
    assert browser.post(f"/recordings/{rec.pk}/case-info", NEW).status_code == 403
    browser.get(f"/recordings/{rec.pk}/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/recordings/{rec.pk}/case-info", {**NEW, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_it_only_accepts_post(org, rec):
    assert client_for(org.admin).get(f"/recordings/{rec.pk}/case-info").status_code == 405


def test_it_shows_the_form_only_to_those_who_may_edit(org, rec):
    url = f"/recordings/{rec.pk}/"
    form = f'action="/recordings/{rec.pk}/case-info"'
    assert form in client_for(org.admin).get(url).content.decode()
    assert "case-info" not in client_for(org.leader).get(url).content.decode()


def test_it_finds_the_recording_by_what_was_filled_in(org, rec):
    post(org.admin, rec)
    body = client_for(org.admin).get("/recordings/", {"party": "恒达"}).content.decode()
    assert "c1.mp4" in body
