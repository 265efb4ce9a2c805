"""The one approvals engine (issue 16): each rule, under each shipped profile that uses it.

Every decision asks `policies.approvals.why_not(user, Step)`; the rules are the profile's
(`approvals.<kind>.steps`, `retention.approved_by`, `interruptions.acknowledged_by`, …, and
`deciding`). The org fixture: a bureau with its leader 郑国华, squad 1 (administrator 林海,
officers 张伟 and 王芳), squad 2 (unit head 孙立); each test adds the people it needs.
"""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.access import grants
from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused, approval_step, approvers_now
from avrecords.access.inbox import to_approve
from avrecords.access.models import AccessRequest, RegisterEntry, RequestStatus
from avrecords.access.secrecy import apply_mark
from avrecords.audit.models import AuditEntry
from avrecords.cases.models import Case
from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.org.models import Role, Unit, User
from avrecords.policies import approvals
from avrecords.policies import services as policies
from avrecords.policies.approvals import Step
from avrecords.policies.models import PolicyProfile
from avrecords.retention import facts, holds
from avrecords.retention.approvals import Refused
from avrecords.retention.services import reclassify
from avrecords.supervision import violations
from avrecords.supervision.models import Campaign, CampaignStatus, Sample
from tests.conftest import PASSWORD, client_for
from tests.rows import make, make_stored

PROFILES = ["tongbai", "chengde", "lingchuan", "zhanhe", "fuzhou"]
# Where each profile's view chain comes from: the unit head (chengde: the office director)
# approves first in all five.
VIEW_CITES = {
    "tongbai": "000§17",
    "chengde": "001§22",
    "lingchuan": "002§5",
    "zhanhe": "003§4",
    "fuzhou": "004§20",
}


def _person(username, name, role, unit, **extra) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def _use(org, code: str):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code=code))
    return PolicyProfile.objects.get(code=code).profile


def _office(org) -> Unit:
    return Unit.objects.create(name="办公室", code="T350200-00", parent=org.bureau)


def _director(org, unit: Unit | None = None) -> User:
    """The 办公室主任 (chengde 001§22)."""
    return _person("bangongshi", "许主任", Role.UNIT_HEAD, unit or _office(org))


def _head(org) -> User:
    return _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)


def _first_approver(org, code: str) -> User:
    """Who takes the first step of the view chain over squad 1: its unit head, or under
    chengde the head of the bureau's 办公室."""
    return _director(org) if code == "chengde" else _head(org)


def _supervisor(org) -> User:
    return _person("jiandu", "何平", Role.SUPERVISOR, org.bureau)


def _view(requester, *recordings):
    return svc.submit(
        requester, svc.Ask(kind="view", reason="执法监督", days=3, recordings=list(recordings))
    )


# --- role per step ------------------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_the_role_the_chain_names_decides_and_no_other(org, code):
    """Role per step: each profile's `approvals.view.steps` (000§17, 001§22, 002§5, 003§4,
    004§20) names the unit head first; an administrator over the same squad may not."""
    profile = _use(org, code)
    assert VIEW_CITES[code] in profile.approvals.view.cite
    approver = _first_approver(org, code)
    req = _view(_supervisor(org), make(org, "A.MP4", officer=org.officer2))
    why = approvals.why_not(org.admin, approval_step(req))
    assert why == "当前步骤应由单位负责人审批" and why.rules == {approvals.ROLE}
    assert approvals.why_not(approver, approval_step(req)) is None
    assert approver in approvers_now(req) and org.admin not in approvers_now(req)
    with pytest.raises(RequestRefused, match="单位负责人审批"):
        svc.approve(org.admin, req)
    assert svc.approve(approver, req).step == 1


# --- stand-in -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_the_leader_stands_in_only_where_no_holder_of_the_role_can_decide(org, code):
    """Stand-in (`deciding.access.stand_in: {unit_head: leader}`, platform default under all
    five): squad 1 without a unit head (chengde: an 办公室 without a head, 001§22) — the
    分管领导 above decides; once a holder is there, the step is his again."""
    _use(org, code)
    office = _office(org) if code == "chengde" else None
    supervisor = _supervisor(org)
    rec = make(org, "B.MP4", officer=org.officer2)
    first = _view(supervisor, rec)
    assert approvers_now(first) == [org.leader]
    assert svc.approve(org.leader, first).step == 1
    holder = _director(org, office) if office else _head(org)
    second = _view(supervisor, rec)
    assert approvers_now(second) == [holder]
    with pytest.raises(RequestRefused, match="单位负责人审批"):
        svc.approve(org.leader, second)


# --- not the requester --------------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_a_holder_of_the_role_cannot_approve_his_own_access_request(org, code):
    """Not the requester (`deciding.access.not_requester`, 004§21 审批人 is another person
    than 调阅人): the unit head (chengde: the office director) holds the step's role over
    the squad and approves a colleague's request, but not his own."""
    _use(org, code)
    approver = _first_approver(org, code)
    # a recording he may see: his own unit's (the office's under chengde)
    rec = make(org, "C.MP4", officer=org.officer2, unit=approver.unit)
    own = _view(approver, rec)
    why = approvals.why_not(approver, approval_step(own))
    assert why == "不能审批本人提交的申请" and why.rules == {approvals.REQUESTER}
    with pytest.raises(RequestRefused, match="不能审批本人提交的申请"):
        svc.approve(approver, own)
    assert approver not in approvers_now(own)
    assert own not in to_approve(approver)
    others = _view(_supervisor(org), rec)
    assert svc.approve(approver, others).step == 1  # the same person, another's request


@pytest.mark.parametrize("code", PROFILES)
def test_a_leader_cannot_approve_shortening_he_asked_for(org, code):
    """Not the requester for retention (`retention.approved_by`: the leader under all five,
    000§20, 001§20, 002§16, 003§15, 004§19): the leader who asked to shorten a recording's
    retention may not approve it; another leader over the unit may."""
    _use(org, code)
    other_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    rec = make_stored(org, "d.mp4")
    reclassify([rec])
    fact = facts.record_fact(org.leader, fact="obstruction", note="当事人阻碍检查", recording=rec)
    change = facts.ask_to_shorten(org.leader, rec, reason="登记有误", fact=fact)
    with pytest.raises(Refused, match="不能审批本人提出的申请") as refused:
        facts.decide_change(org.leader, change, approve=True)
    assert refused.value.args[0].rules == {approvals.REQUESTER}
    facts.decide_change(other_leader, change, approve=True, comment="同意")
    change.refresh_from_db()
    assert change.decided_by == other_leader


@pytest.mark.parametrize("code", PROFILES)
def test_a_leader_cannot_approve_the_release_of_a_hold_he_asked_for(org, code):
    """Not the requester for a legal hold's release (`retention.approved_by`): the leader
    who asked for the release may not approve it; another leader may."""
    _use(org, code)
    other_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    case = Case.objects.create(
        number="某市监罚〔2026〕7号",
        title="某超市销售过期食品案",
        case_type="penalty",
        unit=org.squad1,
        opened_on=dt.date(2026, 11, 1),
        created_by=org.admin,
    )
    rec = make_stored(org, "e.mp4", case=case)
    reclassify([rec])
    hold = holds.place(org.admin, kind="complaint", reason="当事人投诉执法态度", case=case)
    holds.request_release(org.leader, hold, "投诉已办结")
    with pytest.raises(Refused, match="不能审批本人提出的申请") as refused:
        holds.approve_release(org.leader, hold)
    assert refused.value.args[0].rules == {approvals.REQUESTER}
    with pytest.raises(Refused, match="不能审批本人提出的申请"):
        holds.reject_release(org.leader, hold, "再等等")
    assert holds.approve_release(other_leader, hold).released_by == other_leader


# --- not the person concerned -------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_nobody_decides_a_violation_about_himself(org, code):
    """Not the person concerned (`deciding.violation.not_concerned`; violations of 000§22,
    001§27, 002§17, 003§18, 004§23): a supervisor over the squad confirms a candidate about
    an officer, not one about himself."""
    _use(org, code)
    reporter = _person("jiandu", "刘监督", Role.SUPERVISOR, org.squad1)
    colleague = _person("jiandu2", "孔监督", Role.SUPERVISOR, org.squad1)

    def entry(person):
        return violations.report(
            reporter,
            violations.ViolationInput(kind="lent", unit=org.squad1, person=person, summary="借"),
        )

    about_him = entry(colleague)
    why = approvals.why_not(colleague, violations.decision_step(about_him))
    assert why == "无权认定与本人有关的违规线索" and why.rules == {approvals.CONCERNED}
    with pytest.raises(violations.Refused, match="与本人有关"):
        violations.decide(colleague, about_him, confirm=True, reason="属实")
    decided = violations.decide(colleague, entry(org.officer), confirm=True, reason="属实")
    assert decided.decided_by == colleague


@pytest.mark.parametrize("code", PROFILES)
def test_nobody_approves_an_accountability_decision_about_himself(org, code):
    """Not the person concerned (`deciding.accountability`; 000§22, 001§28, 002§17, 003§18,
    004§23): a leader over the squad approves decisions, not one about himself."""
    _use(org, code)
    squad_leader = _person("lingdao2", "冯领导", Role.LEADER, org.squad1)
    about_him = Step(
        unit=org.squad1, decision="accountability.approve", concerned_id=squad_leader.pk
    )
    why = approvals.why_not(squad_leader, about_him)
    assert why == "无权审批对本人的处理决定" and why.rules == {approvals.CONCERNED}
    about_other = Step(
        unit=org.squad1, decision="accountability.approve", concerned_id=org.officer.pk
    )
    assert approvals.may_decide(squad_leader, about_other)


# --- different people on different steps, the case's own leader ---------------------------


def test_chengde_two_steps_of_one_request_are_two_people(org):
    """Different people (`deciding.access.distinct_steps`): chengde 001§22 has two steps
    (办公室主任审核, 主管领导批准); a leader who stood in for the office director may not
    also approve."""
    _use(org, "chengde")
    _office(org)  # without a head: the leader stands in for the review
    other_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    req = svc.approve(org.leader, _view(_supervisor(org), make(org, "F.MP4")))
    why = approvals.why_not(org.leader, approval_step(req))
    assert why == "同一申请的各审批步骤须由不同人员办理" and why.rules == {approvals.REPEAT}
    assert approvers_now(req) == [other_leader]
    assert svc.approve(other_leader, req).status == RequestStatus.APPROVED


def test_chengde_the_case_leader_takes_the_leader_step(org):
    """The case's own leader (`deciding.access.case_leader`, 001§22 经案件的局主管领导批准)."""
    _use(org, "chengde")
    director = _director(org)
    case_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    case = Case.objects.create(
        number="承安监罚〔2026〕12号",
        title="某化工企业未按规定检查案",
        case_type="penalty",
        unit=org.squad1,
        leader=case_leader,
        opened_on=dt.date(2026, 11, 1),
        created_by=org.admin,
    )
    make(org, "G.MP4", officer=org.officer2, case=case)
    req = svc.approve(director, svc.submit(org.admin, svc.Ask(kind="view", reason="x", case=case)))
    why = approvals.why_not(org.leader, approval_step(req))
    assert why == "本案的主管领导为吴强，应由其审批" and why.rules == {approvals.CASE_LEADER}
    assert approvers_now(req) == [case_leader]


# --- clearance ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_an_approver_must_be_cleared_for_a_confidential_item(org, code):
    """Clearance (`deciding.access.clearance`; M9: 000§19, 001§25, 002§17, 003§14, 004§21):
    the approver holding the role may not decide a request naming a recording marked
    个人隐私 unless he is cleared for it."""
    _use(org, code)
    approver = _first_approver(org, code)
    supervisor = _supervisor(org)
    supervisor.secrecy_clearances = ["privacy"]
    supervisor.save()
    rec = make(org, "H.MP4", officer=org.officer2)
    apply_mark(rec, "privacy")
    req = _view(supervisor, rec)
    why = approvals.why_not(approver, approval_step(req))
    assert why == "申请事项不在您的管辖或知悉范围内" and why.rules == {approvals.CLEARANCE}
    approver.secrecy_clearances = ["privacy"]
    approver.save()
    assert svc.approve(approver, req).step == 1


# --- system administrators ----------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_a_system_administrator_decides_only_where_the_rules_let_him(org, code):
    """One rule: `deciding.<decision>.sysadmin`. The regulations give decisions to unit
    heads, leaders and supervisors, so no request, retention step, violation or
    accountability decision is a system administrator's; acknowledging an interruption's
    explanation (000§13, 001§15, 002§14, 003§12, 004§15) keeps what it always allowed."""
    _use(org, code)
    _first_approver(org, code)
    req = _view(_supervisor(org), make(org, "I.MP4", officer=org.officer2))
    refused = [
        approval_step(req),
        Step(unit=org.squad1, decision="retention.approve"),
        Step(unit=org.squad1, decision="violation.decide"),
        Step(unit=org.squad1, decision="accountability.approve"),
    ]
    for step in refused:
        assert approvals.ROLE in approvals.why_not(org.sysadmin, step).rules, step.decision
    assert org.sysadmin not in approvers_now(req)
    acknowledge = Step(unit=org.squad1, decision="interruption.acknowledge")
    assert approvals.may_decide(org.sysadmin, acknowledge)


# --- the leader above ---------------------------------------------------------------------


@pytest.mark.parametrize("code", PROFILES)
def test_the_leader_above_may_acknowledge_what_the_unit_head_may(org, code):
    """`deciding.interruption.also: {unit_head: [leader]}`: where the profile names the unit
    head (000§13, 001§15, 004§15: 本单位负责人) the 分管领导 above may acknowledge too; where it
    names the leader (002§14, 003§12) the unit head may not."""
    profile = _use(org, code)
    head = _head(org)
    step = Step(unit=org.squad1, decision="interruption.acknowledge", concerned_id=org.officer.pk)
    assert approvals.may_decide(org.leader, step)
    assert approvals.may_decide(head, step) == (
        profile.interruptions.acknowledged_by == "unit_head"
    )
    assert approvals.why_not(org.officer, step).rules == {approvals.ROLE, approvals.CONCERNED}


# --- a named office (chengde 001§22) ------------------------------------------------------


def test_chengde_the_office_director_reviews_not_the_squad_head(org):
    """001§22 报经办公室主任审核: the profile names the office (`deciding.access.office.unit:
    办公室`) and its head reviews every squad's requests; the squad's own head may not."""
    _use(org, "chengde")
    director, head = _director(org), _head(org)
    req = _view(_supervisor(org), make(org, "J.MP4", officer=org.officer2))
    why = approvals.why_not(head, approval_step(req))
    assert why == "应由办公室负责人审核（001§22）" and why.rules == {approvals.OFFICE}
    assert approvers_now(req) == [director]
    assert to_approve(director) == [req]  # his 待办, though squad 1 is not his unit
    page = client_for(director)
    assert page.get(f"/access/{req.pk}/").status_code == 200
    assert client_for(head).post(f"/access/{req.pk}/approve").status_code == 302
    assert AccessRequest.objects.get(pk=req.pk).step == 0  # refused with the message
    page.post(f"/access/{req.pk}/approve", {"decision": "approve", "comment": "同意"})
    assert AccessRequest.objects.get(pk=req.pk).step == 1


@pytest.mark.parametrize("code", sorted(set(PROFILES) - {"chengde"}))
def test_other_profiles_name_no_office(org, code):
    """Only chengde's article names an office: elsewhere any unit head over the squad."""
    profile = _use(org, code)
    assert profile.deciding.access.office is None
    _director(org)
    head = _head(org)
    req = _view(_supervisor(org), make(org, "K.MP4", officer=org.officer2))
    assert approvers_now(req) == [head]


def test_chengde_without_an_office_refuses_the_review_naming_it(org):
    """An agency with no 办公室 configured: nobody reviews (not even the leader standing in),
    and the refusal says what to set up."""
    _use(org, "chengde")
    head = _head(org)
    req = _view(_supervisor(org), make(org, "L.MP4", officer=org.officer2))
    for person in (head, org.leader):
        why = approvals.why_not(person, approval_step(req))
        assert why.rules == {approvals.NO_OFFICE}
        assert "“办公室”" in why and "未设置该单位" in why and "001§22" in why
    assert approvers_now(req) == []
    with pytest.raises(RequestRefused, match="未设置该单位"):
        svc.approve(head, req)


def test_chengde_with_only_a_retired_office_refuses_as_without_one(org):
    """A retired 办公室 is no office (issue 18 §1): its former head reviews nothing."""
    import datetime as dt

    _use(org, "chengde")
    office = _office(org)
    director = _director(org, office)
    office.retired_at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    office.save()
    req = _view(_supervisor(org), make(org, "L2.MP4", officer=org.officer2))
    assert approvals.why_not(director, approval_step(req)).rules == {approvals.NO_OFFICE}
    assert approvers_now(req) == []


# --- the rules are profile data -----------------------------------------------------------


def _tongbai_with(extra: str) -> str:
    return policies.builtin_sources()["tongbai"].replace("code: tongbai", "code: mine") + extra


def test_a_profile_changes_one_rule_and_keeps_the_others():
    profile = policies.parse(
        _tongbai_with("\ndeciding:\n  access: {stand_in: {}, note: 本局规定无人代为审批}\n")
    )
    access = profile.deciding.access
    assert access.stand_in == {} and access.note == "本局规定无人代为审批"
    assert access.not_requester and access.case_leader and access.clearance
    assert profile.deciding.interruption.also == {"unit_head": ["leader"]}  # untouched


def test_a_rule_naming_an_unknown_role_is_refused():
    with pytest.raises(policies.ProfileInvalid, match="未知角色：boss"):
        policies.parse(
            _tongbai_with("\ndeciding:\n  access: {stand_in: {unit_head: boss}, note: x}\n")
        )


# --- the supervisors' own access for supervision (S1) --------------------------------------


def _reviewed_activity(org, recording):
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=recording.started_at,
        ended_at=recording.ended_at,
        source="web",
        created_by=org.admin,
    )
    ActivityRecording.objects.create(activity=activity, recording=recording, origin="auto")
    return activity


def _sampled(org, activity, status=CampaignStatus.SCORING):
    campaign = Campaign.objects.create(
        number="CC-2026-0001",
        kind="spot_check",
        title="2026年第四季度抽查",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
        ratio=0.05,
        seed=1,
        profile_code="x",
        status=status,
        created_by=org.leader,
    )
    Sample.objects.create(
        campaign=campaign, activity=activity, unit=org.squad1, officer=org.officer2, order=1
    )
    return campaign


@pytest.mark.parametrize("code", PROFILES)
def test_a_supervisor_plays_a_sampled_activity_only_where_the_profile_says_so(org, code):
    """`supervision.review_access`: fuzhou 004§10, 004§22 (委执法监督处等通过提取、调看音像记录
    信息开展执法监督，按一定比例抽查) — a supervisor scoring a sampled activity plays its
    recordings without asking the squad, each playback audited; chengde 001§23 sends
    执法监督 viewing through 001§22 (a request), and the other three give supervisors no such
    access."""
    profile = _use(org, code)
    direct = code == "fuzhou"
    assert profile.supervision.review_access.direct == direct
    supervisor = _supervisor(org)
    rec = make_stored(org, "3501001_350212_20261120100000_0001.MP4", officer=org.officer2)
    activity = _reviewed_activity(org, rec)
    client = client_for(supervisor)
    assert not grants.may_play(supervisor, rec)  # not reviewing it yet: a request, as always
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 403
    _sampled(org, activity)
    assert grants.may_play(supervisor, rec) == direct
    assert client.get(f"/recordings/{rec.pk}/media").status_code == (200 if direct else 403)
    played = AuditEntry.objects.filter(
        action="recording.play", actor=supervisor, object_id=str(rec.pk)
    )
    assert played.count() == (1 if direct else 0)
    assert not RegisterEntry.objects.exists()  # no request, no 登记簿 entry under one
    # the rule is the supervisor's: a unit head over the squad still asks
    assert not grants.may_play(_head(org), rec)


def test_fuzhou_a_supervisor_plays_a_complained_about_activity(org):
    """004§10: 执法行为被投诉的，应当及时收集、保存相关信息 — a complaint (a 投诉 hold) on the
    activity lets the supervisor over the squad play its recordings; not once it is closed."""
    _use(org, "fuzhou")
    supervisor = _supervisor(org)
    rec = make_stored(org, "3501001_350212_20261120110000_0001.MP4", officer=org.officer2)
    activity = _reviewed_activity(org, rec)
    hold = holds.place(org.admin, kind="complaint", reason="当事人投诉执法态度", activity=activity)
    assert grants.reviewing(supervisor, rec) == f"投诉核查 {hold.number}"
    assert grants.may_play(supervisor, rec)
    holds.request_release(org.admin, hold, "投诉已办结")
    holds.approve_release(org.leader, hold)
    assert not grants.may_play(supervisor, rec)


def test_fuzhou_only_while_the_review_lasts_and_within_his_units(org):
    """A closed campaign is reviewed no more; a supervisor assigned other units (004§22:
    相挂钩的单位) has no part in squad 1's review."""
    _use(org, "fuzhou")
    supervisor = _supervisor(org)
    elsewhere = _person("jiandu2", "孔监督", Role.SUPERVISOR, org.bureau)
    elsewhere.supervised_units.set([org.squad2])
    elsewhere = User.objects.get(pk=elsewhere.pk)
    rec = make_stored(org, "3501001_350212_20261120120000_0001.MP4", officer=org.officer2)
    campaign = _sampled(org, _reviewed_activity(org, rec))
    assert grants.may_play(supervisor, rec) and not grants.may_play(elsewhere, rec)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    assert not grants.may_play(supervisor, rec)


# --- a chain that names no role for the step ------------------------------------------------


def test_a_step_outside_its_frozen_chain_names_nobody_and_crashes_nothing(org):
    """An access request keeps the chain of the profile it was made under (`Step.roles`); a
    chain saved empty, or a step past its end, names nobody: the engine says no approver can
    be determined (as for a unit without a profile) instead of raising IndexError on the
    待办 and the request pages (seen in issue 22 with an empty frozen chain)."""
    _use(org, "tongbai")
    for roles, index in (((), 0), ((Role.UNIT_HEAD,), 1)):
        step = Step(unit=org.squad1, decision="access.view", index=index, roles=roles)
        why = approvals.why_not(org.leader, step)
        assert why is not None and "无法确定审批" in why
        assert approvals.deciders(step) == []
        assert not approvals.may_decide(org.leader, step)
        assert approvals.role_of(step) == ""
