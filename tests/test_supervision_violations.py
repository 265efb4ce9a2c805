"""S4: the violation register (automatic candidates and supervisors' entries, confirmed or
dismissed with reasons).

Each refusal changes nothing and says why in Chinese; role and scope are checked at every
step (the matrix in tests/permissions/ tries every role on every endpoint)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.workflows import escalate
from avrecords.equipment import events
from avrecords.equipment.models import Device, EventKind
from avrecords.org.models import Role
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.supervision import accountability, violations
from avrecords.supervision.models import (
    ViolationCandidate,
    ViolationStatus,
)
from tests.conftest import client_for
from tests.supervision_fixtures import BEIJING, audits, confirmed, entry, post_json

# --- the register ------------------------------------------------------------------------


def test_an_automatic_candidate_from_a_finding_appears_in_the_register(org, supervisor):
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=dt.datetime(2026, 11, 2, 9, tzinfo=BEIJING),
            ended_at=dt.datetime(2026, 11, 2, 10, tzinfo=BEIJING),
            officers=[org.officer],
        ),
    )
    [finding] = evaluate_activity(activity)  # nothing recorded
    escalate(finding)  # handed on: supervision hears of it and raises the candidate
    candidate = ViolationCandidate.objects.get(finding=finding)
    body = client_for(supervisor).get("/supervision/violations/").content.decode()
    assert f'href="/supervision/violations/{candidate.pk}/"' in body
    assert "应当记录而未记录" in body and "自动发现" in body
    listed = client_for(supervisor).get("/api/v1/violations?source=auto").json()["results"]
    assert [(v["id"], v["automatic"], v["person_id"]) for v in listed] == [
        (candidate.pk, True, org.officer.pk)
    ]
    detail = client_for(supervisor).get(f"/supervision/violations/{candidate.pk}/")
    assert finding.summary in detail.content.decode()
    assert f'href="/activities/{activity.pk}/"' in detail.content.decode()


def test_a_lost_device_is_a_candidate_under_the_profiles_article(org, supervisor):
    spare = Device.objects.create(serial="350S009", unit=org.squad1, status="spare")
    events.record_event(org.admin, spare, EventKind.LOSS, note="外出执法时遗失", person=org.officer)
    [candidate] = ViolationCandidate.objects.visible_to(supervisor)
    assert (candidate.kind, candidate.cite, candidate.person) == (
        "equipment_loss",
        "001§27(7)",
        org.officer,
    )
    # an entry by hand of the same kind cites the same article
    assert entry(org, supervisor, kind="equipment_loss").cite == "001§27(7)"


def test_it_filters_the_register(org, supervisor):
    lent = entry(org, supervisor)
    other = entry(org, supervisor, kind="leaked", person=org.officer2, summary="外传视频")
    violations.decide(supervisor, other, confirm=False, reason="查无实据")
    client = client_for(supervisor)

    def ids(query: str) -> set[int]:
        return {v["id"] for v in client.get(f"/api/v1/violations?{query}").json()["results"]}

    assert ids("") == {lent.pk, other.pk}
    assert ids("status=open") == {lent.pk}
    assert ids("kind=leaked") == {other.pk}
    assert ids("person=王芳") == {other.pk}
    assert ids(f"unit={org.squad2.pk}") == set()
    assert ids("source=auto") == set()
    today = timezone.localdate()
    assert ids(f"date_from={today}&date_to={today}") == {lent.pk, other.pk}
    assert ids(f"date_from={today + dt.timedelta(days=1)}") == set()
    bad = client.get("/api/v1/violations?date_from=2026-13-01")
    assert bad.status_code == 422  # pydantic refuses the date before the register does


def test_it_exports_the_filtered_register_to_excel_and_audits_it(org, supervisor):
    from openpyxl import load_workbook

    entry(org, supervisor)
    entry(org, supervisor, kind="leaked", summary="外传视频")
    response = client_for(supervisor).get("/supervision/violations/export.xlsx?kind=leaked")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "发现时间", "来源", "类型")
    assert [r[3] for r in rows[1:]] == ["泄露、传播音像资料"]
    assert rows[1][7] == "《执法音像记录设备的使用、管理和监督规则》第二十七条第（四）项"
    [audit] = audits("violation.export")
    assert audit.actor_id == supervisor.pk and "1 条" in audit.summary


def test_a_supervisor_sees_the_units_assigned_to_him_and_no_other(org, supervisor):
    entry(org, supervisor)
    outsider = org._user("jiandu3", "钱监督", Role.SUPERVISOR, org.squad1)
    outsider.supervised_units.set([org.squad2])
    assert not ViolationCandidate.objects.visible_to(outsider).exists()
    assert ViolationCandidate.objects.visible_to(org.leader).count() == 1  # the bureau's subtree
    assert ViolationCandidate.objects.visible_to(org.head2).count() == 0
    assert ViolationCandidate.objects.visible_to(org.sysadmin).count() == 1


def test_officers_administrators_and_archivists_do_not_read_the_register(org, supervisor):
    candidate = entry(org, supervisor)
    archivist = org._user("dangan", "档案员", Role.ARCHIVIST, org.bureau)
    for user in (org.officer, org.admin, archivist):
        client = client_for(user)
        assert client.get("/supervision/violations/").status_code == 403
        assert client.get("/api/v1/violations").status_code == 403
        assert client.get(f"/supervision/violations/{candidate.pk}/").status_code == 404
        assert client.get(f"/api/v1/violations/{candidate.pk}").status_code == 404


# --- entering one ------------------------------------------------------------------------


def test_a_supervisor_enters_a_violation_with_the_article_of_the_units_profile(org, supervisor):
    candidate = entry(org, supervisor)
    assert (candidate.kind_name, candidate.cite, candidate.reported_by) == (
        "将设备转借他人",
        "001§27(2)",
        supervisor,
    )
    [audit] = audits("violation.report")
    assert (audit.actor_id, audit.object_id) == (supervisor.pk, str(candidate.pk))


def test_every_kind_of_the_regulations_is_offered_with_its_article_or_a_note(org, chengde):
    kinds = {k.code: k for k in violations.kinds_for(org.squad1)}
    assert list(kinds) == [code for code, _ in violations.KINDS] and len(kinds) == 10
    assert all(k.cite or "未列明" in k.note for k in kinds.values())
    # 001 does not name a missing handover; 004§23(5) does
    assert (kinds["no_handover"].cite, "第二十七条第（八）项" in kinds["no_handover"].note) == (
        "",
        True,
    )
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    fuzhou = {k.code: k for k in violations.kinds_for(org.squad1)}
    assert fuzhou["no_handover"].cite == "004§23(5)"
    assert fuzhou["equipment_loss"].cite == "004§23(7)"


def test_an_entry_of_a_kind_the_regulation_does_not_name_has_no_cite(org, supervisor):
    assert entry(org, supervisor, kind="damaged_equipment").cite == ""
    page = client_for(supervisor).get("/supervision/violations/new").content.decode()
    assert "损毁设备" in page and "未列明此情形" in page


def test_an_entry_is_refused_with_every_reason_at_once_and_saves_nothing(org, supervisor):
    with pytest.raises(violations.Incomplete) as refused:
        entry(org, supervisor, kind="nonsense", person=org.other_officer, summary=" ")
    assert refused.value.errors == [
        "请从规定列明的情形中选择违规类型",
        "杨军 不属于 执法一中队 或其下级单位",
        "请填写违规事实",
    ]
    with pytest.raises(violations.Incomplete, match="不能登记本人的违规行为"):
        entry(org, supervisor, person=supervisor)
    assert not ViolationCandidate.objects.exists() and not audits("violation.report")


def test_the_entry_page_saves_the_entry_and_shows_it(org, supervisor):
    response = client_for(supervisor).post(
        "/supervision/violations/new",
        {
            "unit": org.squad1.pk,
            "person": org.officer.pk,
            "kind": "private_use",
            "summary": "下班后用执法记录仪拍摄私人活动",
        },
    )
    candidate = ViolationCandidate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/violations/{candidate.pk}/"
    page = client_for(supervisor).get(response["Location"]).content.decode()
    assert "私自使用设备或资料" in page and ">第二十七条第（六）项</span>" in page


def test_an_entry_outside_the_supervisors_units_is_refused_on_the_page_and_the_api(
    org, supervisor, other_supervisor
):
    form = {"unit": org.squad1.pk, "person": org.other_officer.pk, "kind": "lent", "summary": "借"}
    page = client_for(supervisor).post("/supervision/violations/new", form)
    assert page.status_code == 400 and "人员不存在或不在您的监督范围内" in page.content.decode()
    body = {"kind": "lent", "unit": "T350200-01", "person": org.officer.pk, "summary": "借出"}
    api = post_json(other_supervisor, "/api/v1/violations", **body)
    assert api.status_code == 422 and "不在您的监督范围内" in api.json()["detail"]
    assert not ViolationCandidate.objects.exists()


def test_only_a_supervisor_enters_violations(org, supervisor):
    for user in (org.leader, org.head2, org.officer, org.sysadmin):
        assert client_for(user).get("/supervision/violations/new").status_code == 403
        body = {"kind": "lent", "unit": "T350200-01", "person": org.officer.pk, "summary": "借出"}
        response = post_json(user, "/api/v1/violations", **body)
        assert response.status_code == 403
    with pytest.raises(violations.Refused):
        entry(org, org.leader)


# --- confirming or dismissing ------------------------------------------------------------


def test_a_supervisor_confirms_a_candidate_with_a_reason(org, supervisor):
    candidate = entry(org, supervisor)
    response = client_for(supervisor).post(
        f"/supervision/violations/{candidate.pk}/confirm", {"reason": "协管员承认使用过"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by, candidate.decision_reason) == (
        ViolationStatus.CONFIRMED,
        supervisor,
        "协管员承认使用过",
    )
    [audit] = audits("violation.confirm")
    assert audit.object_id == str(candidate.pk) and "协管员承认使用过" in audit.summary


def test_a_supervisor_dismisses_a_candidate_with_a_reason_through_the_api(org, supervisor):
    candidate = entry(org, supervisor)
    response = post_json(
        supervisor, f"/api/v1/violations/{candidate.pk}/dismiss", reason="记录仪当日在维修"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_reason"]) == (
        "dismissed",
        "记录仪当日在维修",
    )
    assert len(audits("violation.dismiss")) == 1


def test_a_decided_candidate_cannot_be_decided_again(org, supervisor):
    candidate = confirmed(org, supervisor)
    with pytest.raises(violations.Refused, match="已认定，不能再次认定或排除"):
        violations.decide(supervisor, candidate, confirm=False, reason="改主意")
    client = client_for(supervisor)
    page = client.post(f"/supervision/violations/{candidate.pk}/dismiss", {"reason": "改主意"})
    assert page.status_code == 400 and "不能再次认定或排除" in page.content.decode()
    api = post_json(supervisor, f"/api/v1/violations/{candidate.pk}/confirm", reason="再次认定")
    assert api.status_code == 409
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decision_reason) == ("confirmed", "经调查属实")
    assert len(audits("violation.confirm")) == 1 and not audits("violation.dismiss")


def test_a_reason_is_required_to_confirm_or_dismiss(org, supervisor):
    candidate = entry(org, supervisor)
    client = client_for(supervisor)
    page = client.post(f"/supervision/violations/{candidate.pk}/confirm", {"reason": " "})
    assert page.status_code == 400 and "请填写认定或排除的理由" in page.content.decode()
    api = post_json(supervisor, f"/api/v1/violations/{candidate.pk}/dismiss", reason="")
    assert api.status_code == 422
    candidate.refresh_from_db()
    assert candidate.status == ViolationStatus.OPEN


def test_the_person_concerned_may_not_decide(org, supervisor):
    colleague = org._user("jiandu4", "孔监督", Role.SUPERVISOR, org.squad1)
    about_him = entry(org, supervisor, person=colleague)
    client = client_for(colleague)
    page = client.post(f"/supervision/violations/{about_him.pk}/confirm", {"reason": "属实"})
    assert page.status_code == 403 and "与本人有关" in page.content.decode()
    api = post_json(colleague, f"/api/v1/violations/{about_him.pk}/dismiss", reason="x")
    assert api.status_code == 403
    with pytest.raises(violations.Refused, match="与本人有关"):
        violations.decide(colleague, about_him, confirm=False, reason="不属实")
    about_him.refresh_from_db()
    assert about_him.status == ViolationStatus.OPEN


def test_a_supervisor_of_another_unit_gets_404_at_every_step(org, supervisor, other_supervisor):
    candidate = confirmed(org, supervisor)
    decision = accountability.propose(
        supervisor, candidate, decision="notice_of_criticism", reason="再次违规"
    )
    client = client_for(other_supervisor)
    for url in (
        f"/supervision/violations/{candidate.pk}/",
        f"/supervision/violations/{candidate.pk}/confirm",
        f"/supervision/violations/{candidate.pk}/decisions",
        f"/supervision/decisions/{decision.pk}/approve",
        f"/api/v1/violations/{candidate.pk}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/api/v1/violations/{candidate.pk}/dismiss",
        f"/api/v1/violations/{candidate.pk}/decisions",
        f"/api/v1/decisions/{decision.pk}/reject",
    ):
        body = {"reason": "x", "decision": "notice_of_criticism", "comment": "x"}
        assert post_json(other_supervisor, url, **body).status_code == 404, url


def test_an_officer_gets_404_for_his_own_candidate_and_403_for_the_lists(org, supervisor):
    candidate = entry(org, supervisor)
    client = client_for(org.officer)
    assert client.get("/supervision/violations/").status_code == 403
    assert client.get("/supervision/decisions/").status_code == 403
    assert client.post(f"/supervision/violations/{candidate.pk}/confirm").status_code == 404


def test_a_post_only_action_answers_get_with_405(org, supervisor):
    candidate = entry(org, supervisor)
    client = client_for(supervisor)
    for step in ("confirm", "dismiss", "decisions"):
        assert client.get(f"/supervision/violations/{candidate.pk}/{step}").status_code == 405
    candidate.refresh_from_db()
    assert candidate.status == ViolationStatus.OPEN
