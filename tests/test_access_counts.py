"""The 待我审批 / 待我办理 lists (`access.inbox`) read what the approvals engine asks about for all
their requests at once (issue 22 §4): they must give exactly the answers of asking about each
request alone (`chain.why_not_approver` / `why_not_executor` on a freshly read row), for every
person, and in a number of queries that does not grow with the requests.

The requests cover what the rules look at: two profiles in one list (chengde on the bureau,
fuzhou on squad 2), chengde's 办公室 step (001§22), a second step with its earlier approver,
the case's own 主管领导, a marked recording, the 分管领导 standing in where no unit head could
decide, and a request to carry out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords.access import inbox
from avrecords.access.chain import why_not_approver, why_not_executor
from avrecords.access.models import AccessRequest, ApprovalStep, RequestStatus
from avrecords.cases.models import Case
from avrecords.org.models import Role, Unit, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.rows import make

pytestmark = pytest.mark.django_db

SECRET = "commercial_secret"


def _person(org, username, name, role, unit, **extra) -> User:
    return org._user(username, name, role, unit, **extra)


class Desk:
    """The org with chengde on the bureau (its 办公室 under it) and fuzhou on squad 2."""

    def __init__(self, org) -> None:
        self.org = org
        policies.assign(None, org.bureau, PolicyProfile.objects.get(code="chengde"))
        policies.assign(None, org.squad2, PolicyProfile.objects.get(code="fuzhou"))
        office = Unit.objects.create(name="办公室", code="T350200-00", parent=org.bureau)
        self.director = _person(org, "bangongshi", "许主任", Role.UNIT_HEAD, office)
        self.case_leader = _person(org, "lingdao2", "吴强", Role.LEADER, org.bureau)
        self.cleared = _person(
            org, "shemi", "涉密领导", Role.LEADER, org.bureau, secrecy_clearances=[SECRET]
        )
        self.case = Case.objects.create(
            number="承安监罚〔2026〕12号",
            title="某化工企业未按规定检查案",
            case_type="penalty",
            unit=org.squad1,
            leader=self.case_leader,
            opened_on=dt.date(2026, 11, 1),
            created_by=org.admin,
        )
        self.n = 0

    def request(self, unit, requester, *, kind="view", status=RequestStatus.PENDING, **rest):
        profile = policies.profile_for_unit(unit)
        chain = profile.approvals.chain(kind)
        self.n += 1
        req = AccessRequest.objects.create(
            number=f"QC-{self.n}",
            kind=kind,
            status=status,
            requester=requester,
            unit=unit,
            reason="复核",
            profile_code=profile.code,
            chain=list(chain.steps),
            executed_by_role=chain.executed_by,
            case=rest.pop("case", None),
        )
        officer = self.org.officer2 if unit == self.org.squad1 else self.org.other_officer
        req.recordings.set([make(self.org, f"QC{self.n}.MP4", officer=officer, unit=unit, **rest)])
        return req

    def each_kind(self) -> dict[str, AccessRequest]:
        """One request of each kind the rules tell apart."""
        o = self.org
        s1, s2 = o.squad1, o.squad2
        second = self.request(s1, o.admin, case=self.case)  # at the case leader's step
        ApprovalStep.objects.create(
            request=second, index=0, role=Role.UNIT_HEAD, approver=self.director, decision="approve"
        )
        AccessRequest.objects.filter(pk=second.pk).update(step=1)
        return {
            "office": self.request(s1, o.admin),  # the 办公室 head's step (001§22)
            "case_leader": second,
            "marked": self.request(s1, o.admin, secrecy=SECRET),
            "squad2": self.request(s2, o.other_admin),  # fuzhou: the squad's head
            "stand_in": self.request(s2, o.head2),  # its head asked: the leader stands in
            "carry_out": self.request(
                s2, o.other_admin, kind="copy", status=RequestStatus.APPROVED
            ),
        }

    def people(self) -> list[User]:
        return list(User.objects.select_related("unit").order_by("pk"))


def _one_by_one(user, status, why_not) -> list[int]:
    """The answer without batching: each request read again alone and asked about alone."""
    rows = AccessRequest.objects.visible_to(user).filter(status=status)
    if status == RequestStatus.APPROVED:
        rows = rows.filter(executed_by_role=user.role)
    return [r.pk for r in rows if why_not(user, AccessRequest.objects.get(pk=r.pk)) is None]


def _fresh(user: User) -> User:
    return User.objects.select_related("unit").get(pk=user.pk)


def test_it_answers_for_every_person_as_asking_about_each_request_alone(org):
    desk = Desk(org)
    made = desk.each_kind()
    decided = set()
    for person in desk.people():
        batched = [r.pk for r in inbox.to_approve(_fresh(person))]
        alone = _one_by_one(_fresh(person), RequestStatus.PENDING, why_not_approver)
        assert batched == alone, person.username
        decided |= set(batched)
        batched = [r.pk for r in inbox.to_execute(_fresh(person))]
        alone = _one_by_one(_fresh(person), RequestStatus.APPROVED, why_not_executor)
        assert batched == alone, person.username
        decided |= set(batched)
    # every request is someone's to decide or to carry out: the comparison is not of empties
    assert decided == {r.pk for r in made.values()}


def test_it_applies_the_office_the_case_leader_the_marks_and_the_stand_in(org):
    desk = Desk(org)
    made = desk.each_kind()

    def approves(user) -> set[str]:
        pks = {r.pk for r in inbox.to_approve(_fresh(user))}
        return {name for name, r in made.items() if r.pk in pks}

    # 001§22: the 办公室's head reviews; not the case step he took, not a mark he is not cleared for
    assert approves(desk.director) == {"office"}
    assert approves(org.head2) == {"squad2"}  # not his own request
    # the case's own 主管领导 takes its leader step; another leader only stands in where no
    # unit head could decide (head2 asked; the director is not cleared for the mark)
    assert approves(desk.case_leader) == {"case_leader", "stand_in"}
    assert approves(org.leader) == {"stand_in"}
    assert approves(desk.cleared) == {"marked", "stand_in"}
    assert [r.pk for r in inbox.to_execute(_fresh(org.bureau_admin))] == [made["carry_out"].pk]
    assert inbox.to_execute(_fresh(org.other_admin)) == []  # his own request to copy


@pytest.mark.parametrize("who", ["leader", "director", "bureau_admin"])
def test_it_asks_in_as_many_queries_for_3n_requests_as_for_n(org, who):
    desk = Desk(org)
    user = {"director": desk.director}.get(who) or getattr(org, who)

    def queries() -> tuple[int, int]:
        viewer = _fresh(user)
        with CaptureQueriesContext(connection) as captured:
            found = len(inbox.to_approve(viewer)) + len(inbox.to_execute(viewer))
        return len(captured), found

    desk.each_kind()
    few, found_few = queries()
    desk.each_kind()
    desk.each_kind()
    many, found_many = queries()
    assert found_many == 3 * found_few > 0
    assert many == few
