"""Nobody decides his own request or about himself, for every decision (issue 23 §1).

The approvals engine (`policies.approvals.DECISIONS`) serves every decision the product takes;
its rules `not_requester` and `not_concerned` (schema `Rules`, platform defaults `_OWN_RULES`:
申请人、当事人本人不审批) refuse a person who asks or whom the item is about. For each
decision, a person who HOLDS the step's role over the item's unit and is also the requester (or
the person concerned) is refused through the service, with the Chinese reason, and through the
page or API a user would use — nothing changed, no approval and no audit entry of it written —
while a second holder of the same role, not the requester, succeeds: the test cannot pass by
refusing everyone. A decision name the engine gains without an entry here fails
`test_every_decision_of_the_engine_is_tested_here`.

The org fixture (tests/conftest.py): bureau with leader 郑国华; squad 1 with administrator 林海
and officers 张伟, 王芳; squad 2 with unit head 孙立. Profile fuzhou (004) throughout: every
approval chain's first step is the unit head's, copies are carried out by an administrator,
preservations by the archivist, the extension (004§17) consented to by the unit head.
"""

from __future__ import annotations

import itertools

import pytest

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused
from avrecords.access.models import AccessRequest, ApprovalStep, RequestStatus
from avrecords.audit.models import AuditEntry
from avrecords.compliance import notice_answers, workflows
from avrecords.compliance.models import Activity, Exemption, Finding, FindingKind, FindingStatus
from avrecords.equipment import events
from avrecords.equipment.models import EventKind
from avrecords.org.models import Role, Secrecy, User
from avrecords.policies import approvals
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.retention import facts, holds
from avrecords.retention.approvals import Refused
from avrecords.retention.models import HoldStatus, RetentionChange
from avrecords.retention.services import reclassify
from avrecords.supervision import accountability, violations
from avrecords.supervision.models import DecisionStatus, ViolationStatus
from tests.conftest import PASSWORD, client_for
from tests.rows import make, make_activity, make_case, make_stored

# decision name → the test below that refuses its own requester or person concerned
COVERED: dict[str, str] = {}
# decision name → why it has neither a requester nor a person concerned who could hold its role
BY_DESIGN = {
    # 平台默认（deciding.carry_out_preserve）：刻录归档的光盘交档案保存、标注只改变密级，
    # 不交申请人，申请人可以办理 — pinned by test_the_requester_may_carry_out_a_preservation
    "access.preserve.carry_out": "nothing carried out goes to the requester",
    "access.mark.carry_out": "nothing carried out goes to the requester",
    # The disposal list is drawn up by the daily sweep (DisposalList has no requester); its
    # reviewer is the requester of the approval step, refused there (retention.approve)
    "retention.review": "the platform draws the list up",
}

_seq = itertools.count(1)


def covers(*names: str):
    def register(test):
        for name in names:
            COVERED[name] = test.__name__
        return test

    return register


def _person(role: str, unit, name: str) -> User:
    n = next(_seq)
    user = User(username=f"self{n}", full_name=name, role=role, unit=unit)
    user.set_password(PASSWORD)
    user.save()
    return user


def _fuzhou(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    return PolicyProfile.objects.get(code="fuzhou").profile


def _audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def _shown(response) -> str:
    return response.content.decode()


def test_every_decision_of_the_engine_is_tested_here():
    """A new kind of decision needs its own-request test (or a reason it has none)."""
    assert set(COVERED) | set(BY_DESIGN) == set(approvals.DECISIONS)
    assert not set(COVERED) & set(BY_DESIGN)
    for name in BY_DESIGN:
        decision = approvals.DECISIONS[name]
        rules = getattr(approvals.PLATFORM, decision.rules)
        if name.endswith(".carry_out"):
            assert not rules.not_requester, name  # the exception is the platform's rule


# --- access requests: approving (M3, M6–M9) -------------------------------------------------

APPROVALS = [n for n in approvals.DECISIONS if n.startswith("access.") and n.count(".") == 1]


def _request(requester, kind: str, recording, profile) -> AccessRequest:
    """The request as `svc.submit` leaves it (made directly: what is tested is who decides,
    and a redacted copy's request needs signed-off copies the approval never looks at)."""
    chain = profile.approvals.chain(kind)
    req = AccessRequest.objects.create(
        number=f"T{kind}{next(_seq)}",
        kind=kind,
        requester=requester,
        unit=recording.unit,
        reason="复核执法过程",
        days=3 if kind != "mark" else 0,
        mark=Secrecy.PRIVACY if kind == "mark" else "",
        profile_code=profile.code,
        chain=list(chain.steps),
        executed_by_role=chain.executed_by,
        cite=chain.cite,
    )
    req.recordings.set([recording])
    return req


@covers(*APPROVALS)
@pytest.mark.parametrize("decision", APPROVALS)
def test_a_holder_of_the_first_step_cannot_approve_his_own_access_request(org, decision):
    kind = decision.split(".")[1]
    profile = _fuzhou(org)
    assert profile.approvals.chain(kind).steps[0] == Role.UNIT_HEAD
    me = _person(Role.UNIT_HEAD, org.squad1, "陈刚")
    colleague = _person(Role.UNIT_HEAD, org.squad1, "李强")
    req = _request(me, kind, make(org, f"{kind}.MP4", officer=org.officer2), profile)

    with pytest.raises(RequestRefused, match="^不能审批本人提交的申请$"):
        svc.approve(me, req, "同意")
    page = client_for(me).post(
        f"/access/{req.pk}/approve", {"decision": "approve", "comment": "同意"}, follow=True
    )
    assert "不能审批本人提交的申请" in _shown(page)
    req.refresh_from_db()
    assert (req.step, req.status) == (0, RequestStatus.PENDING)
    assert not ApprovalStep.objects.filter(request=req).exists()
    assert _audits("access.approve") == 0

    client_for(colleague).post(f"/access/{req.pk}/approve", {"decision": "approve"})
    req.refresh_from_db()
    assert req.step == 1
    assert ApprovalStep.objects.get(request=req).approver == colleague
    assert _audits("access.approve") == 1


# --- access requests: carrying out (the data would go to the person releasing it) ----------

CARRY_OUTS = [
    n
    for n in approvals.DECISIONS
    if n.endswith(".carry_out") and approvals.DECISIONS[n].rules == "carry_out"
]


@covers(*CARRY_OUTS)
@pytest.mark.parametrize("decision", CARRY_OUTS)
def test_an_administrator_cannot_carry_out_his_own_request(org, decision):
    kind = decision.split(".")[1]
    profile = _fuzhou(org)
    assert profile.approvals.chain(kind).executed_by == Role.ADMIN == org.admin.role
    head = _person(Role.UNIT_HEAD, org.squad1, "陈刚")
    req = _request(org.admin, kind, make(org, f"{kind}.MP4", officer=org.officer2), profile)
    svc.approve(head, req)
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED

    with pytest.raises(RequestRefused, match="不能办理本人的查阅、复制或导出申请"):
        svc.execute(org.admin, req)
    page = client_for(org.admin).post(f"/access/{req.pk}/execute", follow=True)
    assert "不能办理本人的查阅、复制或导出申请" in _shown(page)
    req.refresh_from_db()
    assert (req.status, req.executor) == (RequestStatus.APPROVED, None)
    assert _audits("access.execute") == 0

    # another administrator over the squad (the bureau's) carries it out
    client_for(org.bureau_admin).post(f"/access/{req.pk}/execute")
    req.refresh_from_db()
    assert (req.status, req.executor) == (RequestStatus.ACTIVE, org.bureau_admin)
    assert _audits("access.execute") == 1


def test_the_requester_may_carry_out_a_preservation(org):
    """The exception BY_DESIGN names: the archivist who asked for a disc for the archive burns
    it himself (deciding.carry_out_preserve.not_requester is false)."""
    profile = _fuzhou(org)
    archivist = _person(Role.ARCHIVIST, org.bureau, "何静")
    head = _person(Role.UNIT_HEAD, org.squad1, "陈刚")
    req = _request(archivist, "preserve", make(org, "p.MP4", officer=org.officer2), profile)
    svc.approve(head, req)
    assert svc.execute(archivist, req).status == RequestStatus.ACTIVE


# --- retention: the release of a hold, shortening (M5) ---------------------------------------


def _case(org):
    return make_case(org, f"榕市监罚〔2026〕{next(_seq)}号", org.squad1)


@covers("retention.approve")
def test_a_leader_cannot_approve_the_release_of_a_hold_he_asked_for(org):
    """The issue's survivor: with `not_requester` gone from retention, the leader approved his
    own hold release and no test failed."""
    profile = _fuzhou(org)
    assert profile.retention.approved_by == Role.LEADER
    other_leader = _person(Role.LEADER, org.bureau, "吴强")
    case = _case(org)
    reclassify([make_stored(org, "hold.mp4", case=case)])
    hold = holds.place(org.admin, kind="complaint", reason="当事人投诉执法态度", case=case)
    holds.request_release(org.leader, hold, "投诉已办结")

    with pytest.raises(Refused, match="^不能审批本人提出的申请$"):
        holds.approve_release(org.leader, hold)
    with pytest.raises(Refused, match="^不能审批本人提出的申请$"):
        holds.reject_release(org.leader, hold, "再等等")
    leader = client_for(org.leader)
    for action in ("approve", "reject"):
        page = leader.post(f"/retention/holds/{hold.pk}/{action}", {"comment": "再等等"})
        assert page.status_code in (400, 403), page.status_code
    hold.refresh_from_db()
    assert (hold.status, hold.released_by) == (HoldStatus.RELEASE_PENDING, None)
    assert _audits("retention.hold_release") == _audits("retention.hold_release_reject") == 0

    client_for(other_leader).post(f"/retention/holds/{hold.pk}/approve")
    hold.refresh_from_db()
    assert hold.released_by == other_leader
    assert _audits("retention.hold_release") == 1


@covers("retention.approve")
def test_a_leader_cannot_approve_shortening_he_asked_for(org):
    _fuzhou(org)
    other_leader = _person(Role.LEADER, org.bureau, "吴强")
    rec = make_stored(org, "short.mp4")
    reclassify([rec])
    fact = facts.record_fact(org.leader, fact="obstruction", note="当事人阻碍检查", recording=rec)
    change = facts.ask_to_shorten(org.leader, rec, reason="登记有误", fact=fact)

    with pytest.raises(Refused, match="^不能审批本人提出的申请$"):
        facts.decide_change(org.leader, change, approve=True)
    page = client_for(org.leader).post(
        f"/retention/changes/{change.pk}/decide", {"decision": "approve"}
    )
    assert page.status_code in (400, 403), page.status_code
    change.refresh_from_db()
    assert change.decided_by is None
    assert _audits("retention.change_approve") == 0

    client_for(other_leader).post(f"/retention/changes/{change.pk}/decide", {"decision": "approve"})
    assert RetentionChange.objects.get(pk=change.pk).decided_by == other_leader
    assert _audits("retention.change_approve") == 1


# --- compliance: interruption, exemption, extension, missed notice (U3, U4, M1, U5) ---------


# Who is who on a finding: "requester" — the unit head took the officer's work over (E5,
# `handled_by`) and explained it himself; "concerned" — the finding is about him (`officer`),
# explained by his successor. Each alone must refuse him.
ROLES_ON_A_FINDING = {
    "requester": ("不能审批本人提交的申请", "不能确认本人作出的说明"),
    "concerned": ("不能确认与本人有关的事项", "不能确认与本人有关的告知检查结果"),
}


def _on_finding(org, finding: Finding, me: User, who: str) -> User:
    """Make `me` the requester or the person concerned of the finding; who explains it."""
    if who == "requester":
        Finding.objects.filter(pk=finding.pk).update(handled_by=me)
        return me
    Finding.objects.filter(pk=finding.pk).update(officer=me, handled_by=org.officer2)
    return org.officer2


@covers("interruption.acknowledge")
@pytest.mark.parametrize("who", ROLES_ON_A_FINDING)
def test_a_unit_head_cannot_acknowledge_an_interruption_he_explained_or_is_about_him(org, gap, who):
    profile = PolicyProfile.objects.get(code="fuzhou").profile  # the gap's (compliance_fixtures)
    role = profile.interruptions.acknowledged_by
    me = _person(role, org.squad1, "陈刚")
    colleague = _person(role, org.squad1, "李强")
    explainer = _on_finding(org, gap, me, who)
    gap.refresh_from_db()
    workflows.explain(explainer, gap, profile.interruptions.reasons[0].code, "记录仪电量耗尽")
    reason = ROLES_ON_A_FINDING[who][0]

    with pytest.raises(workflows.StepRefused, match=f"^{reason}$"):
        workflows.acknowledge(me, gap)
    page = client_for(me).post(f"/findings/{gap.pk}/acknowledge", follow=True)
    assert reason in _shown(page)
    assert Finding.objects.get(pk=gap.pk).status == FindingStatus.EXPLAINED
    assert _audits("finding.acknowledge") == 0

    client_for(colleague).post(f"/findings/{gap.pk}/acknowledge")
    assert Finding.objects.get(pk=gap.pk).status == FindingStatus.RESOLVED
    assert _audits("finding.acknowledge") == 1


@covers("exemption.approve")
def test_a_unit_head_cannot_approve_the_exemption_he_submitted(org):
    """fuzhou: the 分管领导 approves (`exemptions.approved_by`); one of the squad's, who was
    on the inspection himself, asked for it."""
    profile = _fuzhou(org)
    role = profile.exemptions.approved_by
    me = _person(role, org.squad1, "冯领导")
    colleague = _person(role, org.squad1, "吴强")
    activity = make_activity(org.squad1, me)
    ground = profile.exemptions.grounds[0].code
    exemption = workflows.submit_exemption(me, activity, ground, "现场突发情况无法记录")

    with pytest.raises(workflows.StepRefused, match="^不能审批本人提交的申请$"):
        workflows.decide_exemption(me, exemption, approve=True)
    page = client_for(me).post(
        f"/exemptions/{exemption.pk}/decide", {"decision": "approve"}, follow=True
    )
    assert "不能审批本人提交的申请" in _shown(page)
    assert Exemption.objects.get(pk=exemption.pk).decided_by is None
    assert _audits("exemption.approve") == 0

    client_for(colleague).post(f"/exemptions/{exemption.pk}/decide", {"decision": "approve"})
    assert Exemption.objects.get(pk=exemption.pk).decided_by == colleague
    assert _audits("exemption.approve") == 1


@covers("extension.consent")
def test_a_unit_head_cannot_consent_to_the_extension_of_his_own_activity(org):
    """004§17: the unit head consents to the longer ingest deadline — not for an activity he
    was an officer of (the deadline he would lengthen is his own)."""
    profile = _fuzhou(org)
    assert profile.ingest.extension.consent_by == Role.UNIT_HEAD
    me = _person(Role.UNIT_HEAD, org.squad1, "陈刚")
    colleague = _person(Role.UNIT_HEAD, org.squad1, "李强")
    activity = make_activity(org.squad1, me)

    with pytest.raises(workflows.StepRefused, match="^不能确认与本人有关的事项$"):
        workflows.grant_extension(me, activity)
    assert workflows.extension_offer(me, activity) is None
    page = client_for(me).post(f"/activities/{activity.pk}/extension", follow=True)
    assert "不能确认与本人有关的事项" in _shown(page)
    assert Activity.objects.get(pk=activity.pk).extension_by is None
    assert _audits("activity.extension") == 0

    client_for(colleague).post(f"/activities/{activity.pk}/extension")
    assert Activity.objects.get(pk=activity.pk).extension_by == colleague
    assert _audits("activity.extension") == 1


@covers("notice.review")
@pytest.mark.parametrize("who", ROLES_ON_A_FINDING)
def test_a_unit_head_cannot_review_a_missed_notice_he_answered_or_is_about_him(org, who):
    profile = _fuzhou(org)
    role = profile.notice.reviewed_by
    me = _person(role, org.squad1, "陈刚")
    colleague = _person(role, org.squad1, "李强")
    activity = make_activity(org.squad1, org.officer)
    missed = Finding.objects.create(
        key=f"notice:{activity.pk}",
        kind=FindingKind.NO_NOTICE,
        unit=org.squad1,
        officer=org.officer,
        activity=activity,
        recording=make(org, "inspection.mp4"),
        summary="现场检查未检测到告知语",
        cite="004§13",
        detail={"outcome": "not_found", "to_seconds": 180},
    )
    explainer = _on_finding(org, missed, me, who)
    missed.refresh_from_db()
    notice_answers.answer(explainer, missed, "other_device", "告知在2号记录仪上录制")
    reason = ROLES_ON_A_FINDING[who][1]

    with pytest.raises(workflows.StepRefused, match=f"^{reason}$"):
        notice_answers.review(me, missed, confirm=False)
    page = client_for(me).post(f"/findings/{missed.pk}/notice-review", {"decision": "dismiss"})
    assert page.status_code == 403 and reason in _shown(page)
    assert Finding.objects.get(pk=missed.pk).status == FindingStatus.EXPLAINED
    assert _audits("notice.dismiss") == 0

    client_for(colleague).post(f"/findings/{missed.pk}/notice-review", {"decision": "dismiss"})
    assert Finding.objects.get(pk=missed.pk).status == FindingStatus.RESOLVED
    assert _audits("notice.dismiss") == 1


# --- equipment: a loss report (E6) ------------------------------------------------------------


@covers("loss.acknowledge")
def test_a_unit_head_cannot_acknowledge_the_loss_of_his_own_camera(org):
    profile = _fuzhou(org)
    assert profile.equipment.loss.acknowledged_by == Role.UNIT_HEAD
    me = _person(Role.UNIT_HEAD, org.squad1, "陈刚")
    colleague = _person(Role.UNIT_HEAD, org.squad1, "李强")
    event = events.record_event(
        org.admin, org.camera, EventKind.LOSS, note="执法途中遗失于公交车上", person=me
    )
    assert approvals.why_not(me, events.acknowledge_step(event)) == "不能确认与本人有关的事项"

    with pytest.raises(events.CustodyError, match="^不能确认与本人有关的事项$"):
        events.acknowledge(me, event)
    page = client_for(me).post(f"/equipment/events/{event.pk}/acknowledge")
    assert page.status_code == 403
    event.refresh_from_db()
    assert event.acknowledged_by is None
    assert _audits("device.loss_acknowledge") == 0

    client_for(colleague).post(f"/equipment/events/{event.pk}/acknowledge")
    event.refresh_from_db()
    assert event.acknowledged_by == colleague
    assert _audits("device.loss_acknowledge") == 1


# --- supervision: a violation, an accountability decision (S4, S5) ---------------------------


@covers("violation.decide")
def test_a_supervisor_cannot_decide_a_violation_about_himself(org):
    profile = _fuzhou(org)
    assert profile.supervision.violations_decided_by == Role.SUPERVISOR
    reporter = _person(Role.SUPERVISOR, org.squad1, "刘监督")
    me = _person(Role.SUPERVISOR, org.squad1, "孔监督")
    about_me = violations.report(
        reporter,
        violations.ViolationInput(kind="lent", unit=org.squad1, person=me, summary="借给协管员"),
    )

    with pytest.raises(violations.Refused, match="^无权认定与本人有关的违规线索$"):
        violations.decide(me, about_me, confirm=False, reason="不属实")
    page = client_for(me).post(
        f"/supervision/violations/{about_me.pk}/dismiss", {"reason": "不属实"}
    )
    assert page.status_code == 403
    about_me.refresh_from_db()
    assert (about_me.status, about_me.decided_by) == (ViolationStatus.OPEN, None)
    assert _audits("violation.dismiss") == 0

    client_for(reporter).post(f"/supervision/violations/{about_me.pk}/confirm", {"reason": "属实"})
    about_me.refresh_from_db()
    assert about_me.decided_by == reporter
    assert _audits("violation.confirm") == 1


@covers("accountability.approve")
def test_a_leader_cannot_approve_a_decision_about_himself(org):
    profile = _fuzhou(org)
    assert profile.supervision.decisions_approved_by == Role.LEADER
    supervisor = _person(Role.SUPERVISOR, org.squad1, "刘监督")
    me = _person(Role.LEADER, org.squad1, "冯领导")
    candidate = violations.report(
        supervisor,
        violations.ViolationInput(kind="lent", unit=org.squad1, person=me, summary="借给协管员"),
    )
    violations.decide(supervisor, candidate, confirm=True, reason="经调查属实")
    decision = accountability.propose(
        supervisor, candidate, decision=profile.supervision.decisions[0].code, reason="情节较轻"
    )

    with pytest.raises(accountability.Refused, match="^无权审批对本人的处理决定$"):
        accountability.approve(me, decision)
    page = client_for(me).post(f"/supervision/decisions/{decision.pk}/approve")
    assert page.status_code == 403
    answer = client_for(me).post(f"/api/v1/decisions/{decision.pk}/approve", {}, "application/json")
    assert answer.status_code == 403 and "对本人" in answer.json()["detail"]
    decision.refresh_from_db()
    assert (decision.status, decision.decided_by) == (DecisionStatus.PENDING, None)
    assert _audits("accountability.approve") == 0

    client_for(org.leader).post(f"/supervision/decisions/{decision.pk}/approve")
    decision.refresh_from_db()
    assert (decision.status, decision.decided_by) == (DecisionStatus.APPROVED, org.leader)
    assert _audits("accountability.approve") == 1
