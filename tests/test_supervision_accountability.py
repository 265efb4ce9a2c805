"""S5: accountability decisions proposed on a confirmed violation and approved by the leader,
and the suspension that bars a person from devices and activities (chengde 001§28(3)).

Each refusal changes nothing and says why in Chinese."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.equipment.custody import CustodyError, issue_device
from avrecords.equipment.models import Device
from avrecords.org.models import Role, Suspension
from avrecords.supervision import accountability, suspensions, violations
from avrecords.supervision.models import (
    Accountability,
    DecisionStatus,
)
from tests.conftest import client_for
from tests.supervision_fixtures import confirmed, entry, post_json

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
    page = re.sub(r"<[^>]+>", "", response.content.decode())  # the article is a cite span
    assert expected.replace("001§28(3)", "第二十八条第（三）项") in page
    assert not spare.custodies.exists()
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
