"""chengde's 办公室 in the approvals engine (001§22 报经办公室主任审核), pinned where `make mutate`
found it loose (issue 23 §2, M8): the office found by code as by name, the one nearest the bureau
(the first listed of two as near), never another agency's; the steps in order, each by another
person; the case's own leader; the office head's list of requests; and that a profile may name
only the office's head for its step. Split from test_mutants_approvals.py; the org fixture is
described there.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused, approval_step, approvers_now
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.org.models import Role, Unit
from avrecords.policies import approvals
from avrecords.policies import services as policies
from avrecords.policies.approvals import Step
from avrecords.policies.models import PolicyProfile
from tests.rows import make, make_case
from tests.test_approvals_engine import (
    _director,
    _head,
    _person,
    _supervisor,
    _use,
    _view,
)
from tests.test_mutants_approvals import _mine

# --- chengde: the office, the order of the steps, the case's leader ----------------------------


def test_chengde_the_office_is_found_by_code_as_by_name(org):
    _use(org, "chengde")
    office = Unit.objects.create(name="局综合办", code="办公室", parent=org.bureau)
    director = _director(org, office)
    req = _view(_supervisor(org), make(org, "G.MP4", officer=org.officer2))
    assert approvers_now(req) == [director]
    assert approvals.why_not(_head(org), approval_step(req)) == "应由局综合办负责人审核（001§22）"


def test_chengde_the_office_nearest_the_bureau_reviews_not_a_squads_own(org):
    _use(org, "chengde")
    nested = Unit.objects.create(name="办公室", code="T350200-02-09", parent=org.squad2)
    squad_clerk = _person("bgs2", "何主任", Role.UNIT_HEAD, nested)
    director = _director(org)
    req = _view(_supervisor(org), make(org, "H.MP4", officer=org.officer2))
    assert approvers_now(req) == [director]
    why = approvals.why_not(squad_clerk, approval_step(req))
    assert why == "应由办公室负责人审核（001§22）" and why.rules == {approvals.OFFICE}


def test_chengde_of_two_equally_near_offices_the_first_listed_reviews(org):
    """Two squads each with a unit named 办公室 and none at the bureau: the first in the
    bureau's list of units (squad 1's) is the office, whichever was set up first."""
    _use(org, "chengde")
    second = Unit.objects.create(name="办公室", code="T350200-02-09", parent=org.squad2)
    first = Unit.objects.create(name="办公室", code="T350200-01-09", parent=org.squad1)
    _person("bgs2", "二队主任", Role.UNIT_HEAD, second)
    director = _person("bgs1", "一队主任", Role.UNIT_HEAD, first)
    req = _view(_supervisor(org), make(org, "H2.MP4", officer=org.officer2))
    assert approvers_now(req) == [director]


def test_chengde_another_agencys_office_is_not_this_bureaus(org):
    _use(org, "chengde")
    county = Unit.objects.create(name="某县市场监督管理局", code="T350300")
    elsewhere = Unit.objects.create(name="办公室", code="T350300-00", parent=county)
    stranger = _person("bgs3", "外局主任", Role.UNIT_HEAD, elsewhere)
    req = _view(_supervisor(org), make(org, "I.MP4", officer=org.officer2))
    assert approvals.why_not(stranger, approval_step(req)).rules == {approvals.NO_OFFICE}
    assert approvers_now(req) == []
    assert not AccessRequest.objects.filter(approvals.decided_by_office(stranger)).exists()


def test_chengde_steps_go_in_order_each_by_another_person(org):
    """001§22: 办公室主任审核, then 主管领导批准; neither takes the other's step."""
    _use(org, "chengde")
    director = _director(org)
    req = _view(_supervisor(org), make(org, "J.MP4", officer=org.officer2))
    with pytest.raises(RequestRefused, match="^当前步骤应由单位负责人审批$"):
        svc.approve(org.leader, req)
    assert svc.approve(director, req).step == 1
    req = AccessRequest.objects.get(pk=req.pk)
    with pytest.raises(
        RequestRefused, match="^当前步骤应由分管领导审批；同一申请的各审批步骤须由不同人员办理$"
    ):
        svc.approve(director, req)
    assert approvals.role_of(approval_step(req)) == "leader"
    assert svc.approve(org.leader, req).status == RequestStatus.APPROVED
    with pytest.raises(RequestRefused, match="不能审批"):
        svc.approve(org.leader, AccessRequest.objects.get(pk=req.pk))


def test_a_step_before_the_chain_names_nobody(org):
    _use(org, "tongbai")
    step = Step(unit=org.squad1, decision="access.view", index=-1, roles=("unit_head",))
    assert "无法确定审批" in approvals.why_not(_head(org), step)
    assert approvals.deciders(step) == []


def test_a_profile_that_drops_the_case_leader_rule_lets_any_leader_approve(org):
    source = (
        policies.builtin_sources()["chengde"]
        .replace("code: chengde", "code: mine")
        .replace("deciding:\n  access:\n", "deciding:\n  access:\n    case_leader: false\n")
    )
    policies.assign(None, org.bureau, _mine(source))
    director = _director(org)
    case_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    case = make_case(org, "承安监罚〔2026〕13号", org.squad1, leader=case_leader)
    make(org, "K.MP4", officer=org.officer2, case=case)
    req = svc.approve(director, svc.submit(org.admin, svc.Ask(kind="view", reason="x", case=case)))
    assert approvals.why_not(org.leader, approval_step(req)) is None
    assert set(approvers_now(req)) == {org.leader, case_leader}


def test_the_office_director_sees_the_requests_whose_review_is_his(org):
    """`decided_by_office`: the 办公室's head over every squad of the bureau; nobody else."""
    _use(org, "chengde")
    director = _director(org)
    head = _head(org)
    supervisor = _supervisor(org)
    ours = _view(supervisor, make(org, "L.MP4", officer=org.officer2))
    theirs = _view(supervisor, make(org, "M.MP4", officer=org.other_officer))
    seen = AccessRequest.objects.filter(approvals.decided_by_office(director))
    assert set(seen) == {ours, theirs}
    county = Unit.objects.create(name="某县市场监督管理局", code="T350300")  # no profile
    nowhere = [
        _person("x", "无单位", Role.UNIT_HEAD, None),
        _person("y", "县局长", Role.UNIT_HEAD, county),
    ]
    for person in (head, org.leader, AnonymousUser(), *nowhere):
        assert not AccessRequest.objects.filter(approvals.decided_by_office(person)).exists()
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    assert not AccessRequest.objects.filter(approvals.decided_by_office(director)).exists()


def test_a_profile_may_name_only_the_offices_head_for_its_step():
    """chengde 001§22 报经办公室主任审核: the office's head (its 单位负责人) takes the step; only
    unit heads are shown the office's requests, so a profile naming another role of the office
    would make a step nobody sees. The profile is refused with the reason."""
    from pydantic import ValidationError

    from avrecords.policies.schema import Office

    assert Office(unit="办公室", cite="001§22").role == "unit_head"
    with pytest.raises(ValidationError, match="office.role 只能为 unit_head（由办公室负责人审核）"):
        Office(unit="办公室", cite="001§22", role="leader")
