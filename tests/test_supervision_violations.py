"""S4, S5: the violation register (automatic candidates and supervisors' entries, confirmed or
dismissed with reasons), accountability decisions approved by the leader, and the
suspension that bars a person from devices and activities (chengde 001§28(3)).

Each refusal changes nothing and says why in Chinese; role and scope are checked at every
step (the matrix in tests/test_permissions.py tries every stock user on every endpoint)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.workflows import escalate
from avrecords.equipment import events
from avrecords.equipment.custody import CustodyError, issue_device
from avrecords.equipment.models import Device, EventKind
from avrecords.org.models import Role, Suspension
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.supervision import accountability, suspensions, violations
from avrecords.supervision.models import (
    Accountability,
    DecisionStatus,
    ViolationCandidate,
    ViolationStatus,
)
from tests.conftest import client_for

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def chengde(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="chengde"))


@pytest.fixture
def supervisor(org, chengde):
    return org._user("jiandu", "刘监督", Role.SUPERVISOR, org.squad1)


@pytest.fixture
def other_supervisor(org, chengde):
    return org._user("jiandu2", "何监督", Role.SUPERVISOR, org.squad2)


def entry(org, supervisor, **changes) -> ViolationCandidate:
    values = {
        "kind": "lent",
        "unit": org.squad1,
        "person": org.officer,
        "summary": "将执法记录仪借给协管员使用",
    }
    values.update(changes)
    return violations.report(supervisor, violations.ViolationInput(**values))


def confirmed(org, supervisor, **changes) -> ViolationCandidate:
    made = entry(org, supervisor, **changes)
    return violations.decide(supervisor, made, confirm=True, reason="经调查属实")


def post_json(user, url: str, **body):
    return client_for(user).post(url, body, "application/json")


def audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


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
    assert rows[1][7] == "001§27(4)"
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
    assert "私自使用设备或资料" in page and "001§27(6)" in page


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


# --- accountability ----------------------------------------------------------------------


def test_a_decision_is_proposed_from_the_profile_and_approved_by_the_leader_only(org, supervisor):
    candidate = confirmed(org, supervisor)
    client = client_for(supervisor)
    response = client.post(
        f"/supervision/violations/{candidate.pk}/decisions",
        {"decision": "notice_of_criticism", "reason": "擅自出借，影响恶劣"},
    )
    assert response.status_code == 302
    decision = Accountability.objects.get()
    assert (decision.decision_name, decision.cite, decision.person) == (
        "全局通报批评",
        "001§28(2)",
        org.officer,
    )
    head1 = org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    for user in (supervisor, head1, org.sysadmin, org.officer):
        response = post_json(user, f"/api/v1/decisions/{decision.pk}/approve")
        assert response.status_code in (403, 404), user
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PENDING
    response = client_for(org.leader).post(
        f"/supervision/decisions/{decision.pk}/approve", {"comment": "同意"}
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.status, decision.decided_by, decision.comment) == (
        "approved",
        org.leader,
        "同意",
    )
    assert decision.suspended_from is None  # a notice of criticism suspends nobody
    assert [
        a.action for a in AuditEntry.objects.filter(object_type="supervision.accountability")
    ] == [
        "accountability.propose",
        "accountability.approve",
    ]


def test_a_decision_is_only_made_on_a_confirmed_violation(org, supervisor):
    open_one = entry(org, supervisor)
    with pytest.raises(violations.Refused, match="只有已认定的违规才能处理"):
        accountability.propose(supervisor, open_one, decision="notice_of_criticism", reason="x")
    url = f"/api/v1/violations/{open_one.pk}/decisions"
    response = post_json(supervisor, url, decision="notice_of_criticism", reason="x")
    assert response.status_code == 409
    assert not Accountability.objects.exists()


def test_a_decision_not_in_the_profile_or_without_a_reason_is_refused(org, supervisor):
    candidate = confirmed(org, supervisor)
    url = f"/api/v1/violations/{candidate.pk}/decisions"
    response = post_json(supervisor, url, decision="criticism_education")  # tongbai's only
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages[0].startswith("请从规定的处理方式中选择：责令作出书面检查、全局通报批评")
    assert messages[1] == "请填写处理理由"
    assert not Accountability.objects.exists()


def test_a_second_decision_waits_for_the_first_to_be_rejected(org, supervisor):
    candidate = confirmed(org, supervisor)
    first = accountability.propose(
        supervisor, candidate, decision="no_awards_this_year", reason="x"
    )
    with pytest.raises(violations.Refused, match="已有待批准的处理决定"):
        accountability.propose(supervisor, candidate, decision="notice_of_criticism", reason="y")
    with pytest.raises(violations.Incomplete, match="请填写不批准的意见"):
        accountability.reject(org.leader, first, comment=" ")
    accountability.reject(org.leader, first, comment="处理过轻")
    with pytest.raises(violations.Refused, match="未批准，不能再次审批"):
        accountability.approve(org.leader, first)
    second = accountability.propose(
        supervisor, candidate, decision="suspension_one_month", reason="处理过轻，改为停止执法"
    )
    assert second.status == DecisionStatus.PENDING
    assert [
        a.action for a in AuditEntry.objects.filter(object_type="supervision.accountability")
    ] == [
        "accountability.propose",
        "accountability.reject",
        "accountability.propose",
    ]


def test_nobody_approves_a_decision_about_himself(org, supervisor):
    squad_leader = org._user("lingdao2", "冯领导", Role.LEADER, org.squad1)
    candidate = confirmed(org, supervisor, person=squad_leader)
    decision = accountability.propose(
        supervisor, candidate, decision="written_self_examination", reason="x"
    )
    response = post_json(squad_leader, f"/api/v1/decisions/{decision.pk}/approve")
    assert response.status_code == 403 and "对本人" in response.json()["detail"]
    assert accountability.approve(org.leader, decision).status == DecisionStatus.APPROVED


# --- suspensions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (dt.date(2026, 12, 2), 1, dt.date(2027, 1, 1)),
        (dt.date(2026, 3, 1), 1, dt.date(2026, 3, 31)),
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),  # no 31 February: to its last day
        (dt.date(2028, 1, 30), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 14)),
    ],
)
def test_a_suspension_counts_calendar_months_from_the_approval_day(start, months, last):
    assert suspensions.until(start, months) == last


def _suspend(org, supervisor) -> Accountability:
    candidate = confirmed(org, supervisor, kind="deleted_or_altered", summary="删除现场录像")
    decision = accountability.propose(
        supervisor, candidate, decision="suspension_one_month", reason="故意删除有效证据"
    )
    return accountability.approve(org.leader, decision, comment="同意")


def test_an_approved_suspension_runs_from_the_approval_day(org, supervisor):
    decision = _suspend(org, supervisor)
    today = timezone.localdate()
    assert (decision.suspended_from, decision.suspended_until) == (
        today,
        suspensions.until(today, 1),
    )
    assert suspensions.suspended(org.officer, today) == decision
    assert suspensions.suspended(org.officer, decision.suspended_until) == decision
    assert (
        suspensions.suspended(org.officer, decision.suspended_until + dt.timedelta(days=1)) is None
    )
    assert suspensions.suspended(org.officer2, today) is None
    page = client_for(supervisor).get("/supervision/decisions/").content.decode()
    assert "正在执行的停止执法" in page and f"{decision.suspended_until:%Y-%m-%d}" in page


def _move_into_the_past(decision: Accountability) -> None:
    """The month has gone by (the clock cannot be moved, the suspension can)."""
    ended = timezone.localdate() - dt.timedelta(days=2)
    Suspension.objects.filter(decision=decision).update(
        starts_on=ended - dt.timedelta(days=30), ends_on=ended
    )


def test_a_suspended_officer_is_refused_a_device_and_issued_one_after_the_period(org, supervisor):
    decision = _suspend(org, supervisor)
    spare = Device.objects.create(serial="350S010", unit=org.squad1, status="spare")
    expected = (
        f"张伟 被停止执法工作至 {decision.suspended_until:%Y-%m-%d}"
        "（停止执法工作一个月，001§28(3)），不能领用设备"
    )
    with pytest.raises(CustodyError) as refused:
        issue_device(spare, org.officer, operator=org.admin)
    assert str(refused.value) == expected
    assert not spare.custodies.exists()
    response = client_for(org.admin).post(
        f"/equipment/devices/{spare.pk}/issue", {"holder": org.officer.pk}, follow=True
    )
    assert expected in response.content.decode() and not spare.custodies.exists()
    _move_into_the_past(decision)
    assert issue_device(spare, org.officer, operator=org.admin).holder == org.officer


def test_a_suspended_officer_is_refused_on_a_new_activity_and_accepted_after_the_period(
    org, supervisor
):
    decision = _suspend(org, supervisor)
    now = timezone.now()

    def activity(start: dt.datetime):
        return acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            officers=[org.officer2, org.officer],
        )

    with pytest.raises(acts.ActivityInvalid) as refused:
        acts.create_activity(org.admin, activity(now - dt.timedelta(minutes=30)))
    assert refused.value.errors == [
        f"执法人员：张伟 被停止执法工作至 {decision.suspended_until:%Y-%m-%d}"
        "（停止执法工作一个月，001§28(3)），不能参加该执法活动"
    ]
    after = timezone.make_aware(
        dt.datetime.combine(decision.suspended_until + dt.timedelta(days=1), dt.time(9))
    )
    assert acts.check(activity(after))[0] == []  # planned after the period: no objection
    _move_into_the_past(decision)
    made = acts.create_activity(org.admin, activity(now - dt.timedelta(minutes=30)))
    assert set(made.officers.all()) == {org.officer, org.officer2}


def test_the_api_walks_a_violation_to_an_approved_suspension(org, supervisor):
    created = post_json(
        supervisor,
        "/api/v1/violations",
        kind="false_recording",
        unit="T350200-01",
        person=org.officer.pk,
        summary="补录画面冒充现场记录",
    )
    assert created.status_code == 201
    assert (created.json()["cite"], created.json()["automatic"]) == ("001§27(5)", False)
    pk = created.json()["id"]
    confirm = post_json(supervisor, f"/api/v1/violations/{pk}/confirm", reason="属实")
    assert confirm.json()["status"] == "confirmed"
    url = f"/api/v1/violations/{pk}/decisions"
    proposed = post_json(supervisor, url, decision="suspension_one_month", reason="弄虚作假")
    assert proposed.status_code == 201 and proposed.json()["suspend_months"] == 1
    url = f"/api/v1/decisions/{proposed.json()['id']}/approve"
    approved = post_json(org.leader, url, comment="同意")
    today = timezone.localdate()
    assert approved.status_code == 200
    assert (approved.json()["suspended_from"], approved.json()["suspended_until"]) == (
        today.isoformat(),
        suspensions.until(today, 1).isoformat(),
    )
    assert post_json(org.leader, url).status_code == 409  # approved once only
    detail = client_for(supervisor).get(f"/api/v1/violations/{pk}").json()
    assert [d["status"] for d in detail["decisions"]] == ["approved"]
