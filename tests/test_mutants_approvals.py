"""Who decides what, under the five shipped profiles: the approvals engine's answers pinned
where `make mutate` found them loose (issue 23 §2; M8 approvals, M9 clearance, M5 retention,
U3 interruptions, U4 exemptions, U5 missed notices, M1 extensions, E6 losses, S4 violations,
S5 accountability).

Pinned: the role each step of each decision names under tongbai, chengde, lingchuan, zhanhe
and fuzhou (and where a unit has no profile); the Chinese words of every refusal; who stands
in where the role's only holder may not (his own request, an item he is not cleared for, his
account disabled); who else may decide (the leader above, a system administrator or
superuser); chengde's 办公室 (by code or name, the one nearest the bureau, never another
agency's); the steps in order and each by another person; the case's own leader; the
supervisors' direct review access; and that a list of many steps costs the same queries as
one. The org fixture (tests/conftest.py): a bureau with its leader 郑国华; 执法一中队 with
officers 张伟, 王芳 and administrator 林海; 执法二中队 with its unit head 孙立.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused, approval_step, approvers_now
from avrecords.access.models import RequestStatus
from avrecords.access.secrecy import apply_mark
from avrecords.agency import roles
from avrecords.org.models import Role, Unit
from avrecords.policies import approvals
from avrecords.policies import services as policies
from avrecords.policies.approvals import Step
from avrecords.policies.models import PolicyProfile
from tests.rows import make
from tests.test_approvals_engine import (
    _director,
    _head,
    _person,
    _supervisor,
    _use,
    _view,
)

PROFILES = ["tongbai", "chengde", "lingchuan", "zhanhe", "fuzhou"]
KINDS = ["view", "copy", "export", "preserve", "redacted", "mark"]
# executed_by of each request kind, the same in all five (000§17, 001§22, 002§5, 003§13,
# 004§21: the administrator; 000§20, 001§21, 002§16, 003§16, 004§19: the archivist burns
# the disc; a marking takes effect once approved)
EXECUTORS = {k: "admin" for k in ("view", "copy", "export", "redacted")} | {
    "preserve": "archivist",
    "mark": "",
}


def _expected_roles(code: str) -> dict[tuple[str, int], str]:
    """(decision, step) → role, as each regulation says."""
    chain = ["unit_head", "leader"] if code == "chengde" else ["unit_head"]  # 001§22
    table = {(f"access.{k}", i): role for k in KINDS for i, role in enumerate(chain)}
    table |= {(f"access.{k}.carry_out", 0): role for k, role in EXECUTORS.items()}
    return table | {
        # 000§13, 001§15, 004§15 本单位负责人; 002§14, 003§12 the leader
        ("interruption.acknowledge", 0): "leader"
        if code in ("lingchuan", "zhanhe")
        else "unit_head",
        ("exemption.approve", 0): "unit_head" if code == "tongbai" else "leader",
        ("extension.consent", 0): "unit_head",  # 004§17; the others: the platform's
        ("loss.acknowledge", 0): "unit_head",
        ("retention.review", 0): "archivist",
        ("retention.approve", 0): "leader",
        ("violation.decide", 0): "supervisor",
        ("notice.review", 0): "unit_head",
        ("accountability.approve", 0): "leader",
    }


@pytest.mark.parametrize("code", PROFILES)
def test_each_shipped_profile_gives_each_step_the_role_its_regulation_names(org, code):
    _use(org, code)
    rows = roles.step_rows(org.squad1, with_people=False)
    assert {(r.key, r.index): r.role_code for r in rows} == _expected_roles(code)


def _mine(source: str) -> PolicyProfile:
    return policies.save_profile(None, source)


def test_each_request_kind_reads_its_own_chain_of_the_profile(org):
    """A profile whose chains differ by kind: the roles page (and every step asked without a
    frozen chain) reads the kind's own chain and executor. The engine's table of decisions is
    built on import, so the readers it is built from are asked here as well."""
    source = (
        policies.builtin_sources()["tongbai"]
        .replace("code: tongbai", "code: mine")
        .replace("copy: {steps: [unit_head]", "copy: {steps: [unit_head, leader]")
        .replace(
            "export: {steps: [unit_head], executed_by: admin",
            "export: {steps: [leader], executed_by: archivist",
        )
        .replace("secrecy: {steps: [unit_head]", "secrecy: {steps: [leader, unit_head]")
    )
    profile = _mine(source).profile
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="mine"))
    chains = {
        "view": ["unit_head"],
        "copy": ["unit_head", "leader"],
        "export": ["leader"],
        "preserve": ["unit_head"],
        "redacted": ["unit_head", "leader"],  # none of its own: the copy chain
        "mark": ["leader", "unit_head"],
    }
    executors = EXECUTORS | {"export": "archivist"}
    rows = roles.step_rows(org.squad1, with_people=False)
    for kind in KINDS:
        assert [r.role_code for r in rows if r.key == f"access.{kind}"] == chains[kind]
        assert [r.role_code for r in rows if r.key == f"access.{kind}.carry_out"] == [
            executors[kind]
        ]
        assert approvals._chain(kind)(profile) == chains[kind]
        assert approvals._executor(kind)(profile) == [executors[kind]]


def test_a_profile_may_give_the_extension_to_the_leader(org):
    """`ingest.extension.consent_by` (004§17 names the unit head): a profile naming the leader
    has the leader consent and the unit head refused; without an extension, the unit head."""
    source = (
        policies.builtin_sources()["fuzhou"]
        .replace("code: fuzhou", "code: mine")
        .replace("consent_by: unit_head", "consent_by: leader")
    )
    policies.assign(None, org.bureau, _mine(source))
    head = _head(org)
    step = Step(unit=org.squad1, decision="extension.consent")
    assert approvals.role_of(step) == "leader"
    assert approvals.why_not(head, step) == "须由分管领导办理"
    assert {p.display_name for p in approvals.deciders(step)} == {"郑国华", "系统管理员"}
    _use(org, "tongbai")
    assert approvals.role_of(step) == "unit_head"
    assert approvals.why_not(head, step) is None


# --- a unit without a profile -----------------------------------------------------------------


def test_without_a_profile_only_the_platforms_three_decisions_have_a_decider(org):
    """Nobody can tell who approves a request, a retention step, an interruption…: each is
    refused naming the unit; a loss is the unit head's (or the leader's above, or a system
    administrator's), a violation the supervisor's, an accountability decision the leader's."""
    head, supervisor = _head(org), _supervisor(org)
    platform = {  # decision → (role, who may decide it over squad 1)
        "loss.acknowledge": ("unit_head", {"陈刚", "郑国华", "系统管理员"}),
        "violation.decide": ("supervisor", {"何平"}),
        "accountability.approve": ("leader", {"郑国华"}),
    }
    for name in approvals.DECISIONS:
        step = Step(unit=org.squad1, decision=name)
        role, deciders = platform.get(name, ("", set()))
        assert {p.display_name for p in approvals.deciders(step)} == deciders, name
        assert approvals.role_of(step) == role
        if role:
            continue
        for person in (head, org.leader, supervisor, org.sysadmin):
            why = approvals.why_not(person, step)
            assert why == "“执法一中队”未配置执法音像记录规定，无法确定审批人，请联系系统管理员"
            assert why.rules == {approvals.PROFILE} and why.standing
        assert not approvals.holds_role(head, step)
    refused = approvals.why_not(
        org.officer, Step(unit=org.squad1, decision="accountability.approve")
    )
    assert refused == "无权审批处理决定：须由分管领导办理" and refused.standing


def test_a_request_frozen_under_a_profile_since_removed_keeps_its_chain(org):
    """A request keeps the roles it was made under (`Step.roles`); where its unit has lost its
    profile, the platform's rules for requests still refuse its own requester."""
    head = _head(org)
    step = Step(unit=org.squad1, decision="access.view", roles=("unit_head",))
    assert approvals.role_of(step) == "unit_head"
    assert approvals.why_not(head, step) is None
    own = Step(unit=org.squad1, decision="access.view", requester_id=head.pk, roles=("unit_head",))
    why = approvals.why_not(head, own)
    assert why == "不能审批本人提交的申请" and not why.standing
    assert [p.display_name for p in approvals.deciders(own)] == ["郑国华"]  # stands in


# --- the words of each refusal ----------------------------------------------------------------


def test_each_decision_refuses_in_the_words_its_pages_always_used(org):
    _use(org, "fuzhou")
    head = _head(org)
    outsider = _person("lingdao2", "冯领导", Role.LEADER, org.squad2)
    watcher = _supervisor(org)
    elsewhere = _person("jiandu2", "孔监督", Role.SUPERVISOR, org.bureau)
    elsewhere.supervised_units.set([org.squad2])

    def why(person, decision, **facts):
        return approvals.why_not(person, Step(unit=org.squad1, decision=decision, **facts))

    assert why(org.officer2, "access.view") == "当前步骤应由单位负责人审批"
    assert why(head, "access.copy.carry_out") == "应由设备及音像资料管理员办理"
    assert why(org.admin, "access.copy.carry_out", requester_id=org.admin.pk) == (
        "不能办理本人的查阅、复制或导出申请，请由其他管理员办理"
    )
    assert why(org.other_admin, "access.copy.carry_out") == "申请事项不在您的管辖或知悉范围内"
    assert why(head, "retention.approve") == "须由分管领导办理"
    assert why(outsider, "retention.approve") == "该事项不在您的管辖范围内"
    assert (
        why(org.leader, "retention.approve", requester_id=org.leader.pk) == "不能审批本人提出的申请"
    )
    assert why(org.officer, "violation.decide") == "无权认定违规线索：须由监督人员办理"
    assert why(elsewhere, "violation.decide") == "无权认定：该违规线索不在您的监督范围内"
    assert why(watcher, "violation.decide", requester_id=watcher.pk) is None  # he reported it
    assert why(head, "accountability.approve") == "无权审批处理决定：须由分管领导办理"
    assert why(outsider, "accountability.approve") == "无权审批：该处理决定不在您的管辖范围内"
    assert why(org.leader, "accountability.approve", requester_id=org.leader.pk) == (
        "无权审批本人提出的处理意见"
    )
    assert why(head, "notice.review", requester_id=head.pk) == "不能确认本人作出的说明"
    assert why(head, "notice.review", concerned_id=head.pk) == "不能确认与本人有关的告知检查结果"
    assert why(outsider, "exemption.approve") == "该事项不在您的管辖范围内"
    # every rule that refuses him, each said once, in order
    both = why(org.officer, "interruption.acknowledge", concerned_id=org.officer.pk)
    assert both == "须由单位负责人办理；不能确认与本人有关的事项"
    assert both.rules == {approvals.ROLE, approvals.CONCERNED} and both.standing
    own = why(head, "interruption.acknowledge", requester_id=head.pk, concerned_id=head.pk)
    assert own == "不能审批本人提交的申请；不能确认与本人有关的事项" and not own.standing


def test_a_refusal_for_two_rules_with_one_wording_says_it_once(org):
    """Out of his units and not cleared (M9): one sentence, both rules."""
    _use(org, "fuzhou")
    rec = make(org, "A.MP4", officer=org.officer2)
    apply_mark(rec, "privacy")
    supervisor = _supervisor(org)
    supervisor.secrecy_clearances = ["privacy"]
    supervisor.save()
    req = _view(supervisor, rec)
    why = approvals.why_not(org.head2, approval_step(req))
    assert why == "申请事项不在您的管辖或知悉范围内"
    assert why.rules == {approvals.SCOPE, approvals.CLEARANCE} and why.standing


def test_an_approver_must_be_cleared_for_every_mark_the_request_names(org):
    _use(org, "fuzhou")
    head = _head(org)
    supervisor = _supervisor(org)
    supervisor.secrecy_clearances = ["privacy", "commercial_secret"]
    supervisor.save()
    private, secret = make(org, "B.MP4"), make(org, "C.MP4")
    apply_mark(private, "privacy")
    apply_mark(secret, "commercial_secret")
    req = _view(supervisor, private, secret)
    head.secrecy_clearances = ["privacy"]
    head.save()
    assert approvals.why_not(head, approval_step(req)).rules == {approvals.CLEARANCE}
    head.secrecy_clearances = ["privacy", "commercial_secret"]
    head.save()
    assert approvals.why_not(head, approval_step(req)) is None


# --- who stands in, who else may decide -------------------------------------------------------


def test_the_leader_stands_in_where_the_only_unit_head_asked_himself(org):
    """fuzhou 004§20-21: the unit head approves; his own request goes to the leader above."""
    _use(org, "fuzhou")
    head = _head(org)
    req = _view(head, make(org, "D.MP4", officer=org.officer2))
    assert approvers_now(req) == [org.leader]
    with pytest.raises(RequestRefused, match="^不能审批本人提交的申请$"):
        svc.approve(head, req)
    assert svc.approve(org.leader, req).status == RequestStatus.APPROVED


def test_the_leader_stands_in_where_the_only_unit_head_is_not_cleared(org):
    _use(org, "fuzhou")
    head = _head(org)
    supervisor = _supervisor(org)
    for person in (supervisor, org.leader):
        person.secrecy_clearances = ["privacy"]
        person.save()
    rec = make(org, "E.MP4", officer=org.officer2)
    apply_mark(rec, "privacy")
    req = _view(supervisor, rec)
    assert approvers_now(req) == [org.leader]
    assert approvals.why_not(head, approval_step(req)).rules == {approvals.CLEARANCE}


def test_a_disabled_unit_head_decides_nothing_and_the_leader_stands_in(org):
    _use(org, "fuzhou")
    head = _head(org)
    req = _view(_supervisor(org), make(org, "F.MP4", officer=org.officer2))
    head.is_active = False
    head.save()
    step = approval_step(req)
    why = approvals.why_not(head, step)
    assert why == "当前步骤应由单位负责人审批" and why.standing
    assert not approvals.holds_role(head, step)
    assert approvers_now(req) == [org.leader]
    acknowledge = Step(unit=org.squad1, decision="interruption.acknowledge")
    assert not approvals.may_decide(head, acknowledge)


def test_nobody_stands_in_for_the_administrator_who_carries_a_request_out(org):
    """Carrying out has no stand-in: with the squad's and the bureau's administrators both
    the requester or elsewhere, nobody may, not the leader nor the unit head."""
    _use(org, "fuzhou")
    head = _head(org)
    step = Step(unit=org.squad1, decision="access.copy.carry_out", requester_id=org.admin.pk)
    assert {p.display_name for p in approvals.deciders(step)} == {"郑华"}
    org.bureau_admin.is_active = False
    org.bureau_admin.save()
    assert approvals.deciders(step) == []
    for person in (head, org.leader):
        assert approvals.why_not(person, step).rules == {approvals.ROLE}


def _two_step_with_stand_ins(org):
    """tongbai, its view approved by the unit head then the leader, each standing in for the
    other where nobody holding the role could."""
    source = (
        policies.builtin_sources()["tongbai"]
        .replace("code: tongbai", "code: mine")
        .replace("view: {steps: [unit_head]", "view: {steps: [unit_head, leader]")
    )
    rules = "\ndeciding:\n  access: {stand_in: {unit_head: leader, leader: unit_head}}\n"
    policies.assign(None, org.bureau, _mine(source + rules))


def test_a_case_leaders_step_is_his_even_where_the_unit_head_would_stand_in(org):
    """The case's own leader takes the leader step (001§22): where he could, nobody stands
    in and the unit head has no part in it; where he asked himself no leader could, so the
    unit head would stand in — but the step is still the case leader's, and nobody may."""
    _two_step_with_stand_ins(org)
    head = _head(org)
    case_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    leader_step = {"unit": org.squad1, "decision": "access.view", "index": 1}
    asked = Step(**leader_step, requester_id=org.admin.pk, case_leader=case_leader)
    assert approvals.why_not(head, asked).rules == {approvals.ROLE}
    assert approvals.deciders(asked) == [case_leader]
    own = Step(**leader_step, requester_id=case_leader.pk, case_leader=case_leader)
    why = approvals.why_not(head, own)
    assert why == "本案的主管领导为吴强，应由其审批" and why.rules == {approvals.CASE_LEADER}
    assert approvals.deciders(own) == []


def test_within_a_list_each_role_has_its_own_holders(org):
    """The 待办 asks many steps at once: a leader of squad 2 asked about squad 1's unit head
    step (its holders read), then the unit head about the leader's step, with no leader over
    squad 1 active — he stands in, as he would asked alone."""
    _two_step_with_stand_ins(org)
    head = _head(org)
    outsider = _person("lingdao2", "冯领导", Role.LEADER, org.squad2)
    org.leader.is_active = False
    org.leader.save()
    first = Step(unit=org.squad1, decision="access.view", requester_id=org.admin.pk)
    second = Step(unit=org.squad1, decision="access.view", index=1, requester_id=org.admin.pk)
    assert approvals.why_not(head, second) is None
    with approvals.many_steps([org.squad1]):
        assert approvals.why_not(outsider, first).rules == {approvals.ROLE}
        assert approvals.why_not(head, second) is None
        assert approvals.deciders(second) == [head]


@pytest.mark.parametrize("code", PROFILES)
def test_who_else_may_acknowledge_and_review_besides_the_role_named(org, code):
    """`deciding.interruption` (000§13, 001§15, 002§14, 003§12, 004§15): the leader above a
    unit head, and a system administrator; a missed notice (U5) the unit head or the leader
    above, never a system administrator."""
    profile = _use(org, code)
    _head(org)
    superuser = _person("chaoji", "超级用户", Role.OFFICER, org.squad2, is_superuser=True)
    interruption = Step(unit=org.squad1, decision="interruption.acknowledge")
    expected = {"郑国华", "系统管理员", "超级用户"}
    if profile.interruptions.acknowledged_by == "unit_head":
        expected.add("陈刚")
    assert {p.display_name for p in approvals.deciders(interruption)} == expected
    assert approvals.may_decide(superuser, interruption)
    notice = Step(unit=org.squad1, decision="notice.review")
    assert {p.display_name for p in approvals.deciders(notice)} == {"陈刚", "郑国华"}
    for person in (superuser, org.sysadmin):
        assert approvals.why_not(person, notice).rules == {approvals.ROLE}
        assert not approvals.holds_role(person, notice)


def test_holding_the_role_is_the_role_alone_whoever_asked_and_wherever(org):
    _use(org, "fuzhou")
    head = _head(org)
    others = Step(unit=org.squad1, decision="access.view", requester_id=org.officer.pk)
    own = Step(unit=org.squad1, decision="access.view", requester_id=head.pk)
    for step in (others, own):
        assert approvals.holds_role(head, step) and approvals.holds_role(org.head2, step)
        assert not approvals.holds_role(org.officer, step)
        assert not approvals.holds_role(org.admin, step)
    # the leader stands in only where no holder could: here his own request
    assert not approvals.holds_role(org.leader, others)
    assert approvals.holds_role(org.leader, own)
    assert not approvals.may_decide(AnonymousUser(), others)


# --- many steps at once -----------------------------------------------------------------------


def _two_bureaus(org):
    """A second chengde bureau with its own office, squad and director."""
    county = Unit.objects.create(name="某县市场监督管理局", code="T350300")
    squad = Unit.objects.create(name="县执法一中队", code="T350300-01", parent=county)
    office = Unit.objects.create(name="办公室", code="T350300-00", parent=county)
    policies.assign(None, county, PolicyProfile.objects.get(code="chengde"))
    return squad, _person("bgs4", "县主任", Role.UNIT_HEAD, office)


def test_a_list_asks_each_bureau_for_its_own_office(org):
    _use(org, "chengde")
    director = _director(org)
    squad, county_director = _two_bureaus(org)
    ours = Step(unit=org.squad1, decision="access.view")
    theirs = Step(unit=squad, decision="access.view")
    with approvals.many_steps([org.squad1, squad]):
        assert approvals.deciders(ours) == [director]
        assert approvals.deciders(theirs) == [county_director]
        assert approvals.why_not(county_director, theirs) is None


def test_a_list_of_steps_costs_the_queries_of_one(org):
    """issue 22 §4: within `many_steps` the profiles, the office and the holders of a role
    are read once, however many steps are asked about."""
    _use(org, "chengde")
    _director(org)
    steps = [Step(unit=org.squad1, decision="access.view", requester_id=n) for n in (1, 2, 3)]

    def cost(asked):
        with CaptureQueriesContext(connection) as queries, approvals.many_steps([org.squad1]):
            with approvals.many_steps():  # nested: the outer block's readings still count
                answers = [approvals.why_not(org.leader, s) for s in asked]
        return len(queries), answers

    one, answers = cost(steps[:1])
    three, more = cost(steps)
    assert three == one and answers[0].rules == {approvals.ROLE}
    assert [w.rules for w in more] == [{approvals.ROLE}] * 3


def test_a_list_answers_each_distinct_step_once_and_each_step_its_own(org):
    asked = []

    def answer(value):
        asked.append(value)
        return value

    with approvals.many_steps():
        assert approvals.answer_once(("violation", 1, 7), lambda: answer(True)) is True
        assert approvals.answer_once(("violation", 1, 8), lambda: answer(False)) is False
        assert approvals.answer_once(("violation", 1, 7), lambda: answer(False)) is True
    assert asked == [True, False]
    assert approvals.answer_once(("violation", 1, 7), lambda: answer(False)) is False


# --- the supervisors' own access, the roles page's reasons -------------------------------------


def test_only_an_active_supervisor_over_the_unit_reviews_without_asking(org):
    """fuzhou 004§10, 004§22; not where the unit has no profile."""
    supervisor = _supervisor(org)
    assert not approvals.reviews_without_asking(supervisor, org.squad1)  # no profile yet
    _use(org, "fuzhou")
    assert approvals.reviews_without_asking(supervisor, org.squad1)
    assert not approvals.reviews_without_asking(AnonymousUser(), org.squad1)
    assert not approvals.reviews_without_asking(_head(org), org.squad1)
    elsewhere = _person("jiandu2", "孔监督", Role.SUPERVISOR, org.squad2)
    assert not approvals.reviews_without_asking(elsewhere, org.squad1)
    supervisor.is_active = False
    supervisor.save()
    assert not approvals.reviews_without_asking(supervisor, org.squad1)


def test_the_roles_page_says_nobody_holds_the_role_where_nobody_does(org):
    """The reason asked of an imagined holder (no requester, nobody concerned): that nobody
    holds the role there, not a refusal of his own request."""
    _use(org, "fuzhou")
    org.leader.is_active = False
    org.leader.save()
    rows = {(r.key, r.index): r for r in roles.step_rows(org.squad1)}
    for key, role in (
        ("access.view", "单位负责人"),
        ("notice.review", "单位负责人"),
        ("retention.approve", "分管领导"),
    ):
        row = rows[(key, 0)]
        assert row.people == []
        assert row.reason == f"没有能办理此步骤的{role}（须在本单位或上级单位任职）"


def test_the_platform_rules_are_the_schemas_defaults(org):
    assert approvals.PLATFORM.access.stand_in == {"unit_head": "leader"}
    assert getattr(approvals, "NOT_A_RULE", "absent") == "absent"
    with pytest.raises(AttributeError, match="has no attribute 'NOT_A_RULE'"):
        approvals.NOT_A_RULE  # noqa: B018
