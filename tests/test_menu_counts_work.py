"""What `/menu/counts` skips when there is nothing to find (issue 22 §4): every page asks it,
so work done only to learn that a list is empty is paid on every page.

- The supervision sources build no query of the violation register for one who does not read
  it (officers, administrators, archivists): its scope is empty for him.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords import worklist
from avrecords.compliance.models import Activity, Exemption, Explanation, Finding, FindingKind
from avrecords.org.models import Role
from avrecords.policies import approvals
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.retention import dashboard
from avrecords.retention.models import DisposalList, HoldStatus, LegalHold, RetentionChange
from avrecords.supervision import worklist_sources as supervision_sources
from avrecords.supervision.models import ViolationCandidate
from tests.rows import make
from tests.scope_world import VIEWERS, World

COMPLIANCE = (
    "compliance.answer",
    "compliance.acknowledge",
    "compliance.exemptions",
    "compliance.notice_review",
)


@pytest.mark.parametrize("who", ["officer", "admin"])
def test_it_builds_no_register_query_for_one_who_does_not_read_the_register(org, who):
    user = getattr(org, who)
    with mock.patch.object(
        ViolationCandidate, "visible_rows", side_effect=AssertionError("register queried")
    ):
        assert supervision_sources.violations_to_decide(user) == []
        assert supervision_sources.decisions_to_approve(user) == []


def _scopes_changes_by_recording(user) -> bool:
    with CaptureQueriesContext(connection) as queries:
        dashboard.awaiting(user)
    return any(
        "retention_retentionchange" in q["sql"] and "recordings_recording" in q["sql"]
        for q in queries.captured_queries
    )


def test_it_scopes_the_shortening_requests_only_when_one_is_pending(org):
    """Scoped by the recording's unit, the pending requests are a read of every recording of
    a squad on SQLite; with none pending anywhere one probe of the requests answers."""
    assert not _scopes_changes_by_recording(org.admin)
    RetentionChange.objects.create(
        recording=make(org, "shorten.mp4"), reason="撤回", requested_by=org.officer
    )
    assert _scopes_changes_by_recording(org.admin)


def _compliance_counts(user) -> dict[str, tuple[int, int]]:
    """Each compliance source's menu count beside the length of its 待办 list."""
    counts = worklist.counts_for(user)
    listed = {s.name: len(s.tasks(user)) for s in worklist.sources() if s.name in COMPLIANCE}
    return {name: (counts[name], listed[name]) for name in COMPLIANCE}


def test_it_counts_the_compliance_work_as_the_inbox_lists_it(org):
    world = World(org)
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    n1, n2 = world.rows[Finding]["n1"], world.rows[Finding]["n2"]
    # in different squads, so that a viewer of one squad sees one kind and not the other
    Finding.objects.filter(pk=n1.pk).update(status="explained", kind=FindingKind.NO_NOTICE)
    Finding.objects.filter(pk=n2.pk).update(status="explained")
    Explanation.objects.create(
        finding=n2,
        reason="battery",
        reason_name="电量不足",
        text="没电",
        explained_by=org.other_officer,
    )
    world.finding("open", org.squad1, org.officer, make(org, "open.mp4"))
    Exemption.objects.create(
        activity=world.rows[Activity]["a1"],
        ground="emergency",
        ground_name="紧急情况",
        reason="现场突发",
        legal_basis="第十条",
        submitted_by=org.officer,
    )
    archivist = org._user("dangan", "刘洋", Role.ARCHIVIST, org.bureau)
    head1 = org._user("zhongdui1", "周明", Role.UNIT_HEAD, org.squad1)
    nonzero = set()
    for user in [world.viewer(name) for name in VIEWERS] + [archivist, head1]:
        counted = _compliance_counts(type(user).objects.get(pk=user.pk))
        assert all(count == listed for count, listed in counted.values()), (user, counted)
        nonzero |= {name for name, (count, _) in counted.items() if count}
    assert nonzero == set(COMPLIANCE)  # each source counted some work for someone


def test_it_answers_each_distinct_step_once_within_many_steps():
    asked = []

    def decide() -> bool:
        asked.append(1)
        return True

    with approvals.many_steps():
        assert approvals.answer_once(("violation.decide", 1, 2, 3), decide)
        assert approvals.answer_once(("violation.decide", 1, 2, 3), decide)
        assert approvals.answer_once(("violation.decide", 1, 2, 4), decide)
    assert len(asked) == 2
    approvals.answer_once(("violation.decide", 1, 2, 3), decide)  # outside: asked each time
    approvals.answer_once(("violation.decide", 1, 2, 3), decide)
    assert len(asked) == 4


def _scoped_reads(user) -> set[str]:
    """The retention tables awaiting reads within the user's scope (a join to the units)."""
    with CaptureQueriesContext(connection) as queries:
        dashboard.awaiting(user)
    return {
        table
        for q in queries.captured_queries
        for table in ("retention_disposallist", "retention_legalhold")
        if f'FROM "{table}"' in q["sql"] and "org_unit" in q["sql"]
    }


def test_it_scopes_disposal_lists_and_release_requests_only_when_one_waits(org):
    assert _scoped_reads(org.admin) == set()
    DisposalList.objects.create(number="L9", unit=org.squad1, profile_code="test")
    assert _scoped_reads(org.admin) == {"retention_disposallist"}
    LegalHold.objects.filter(pk=World(org).rows[LegalHold]["h1"].pk).update(
        status=HoldStatus.RELEASE_PENDING
    )
    assert _scoped_reads(org.admin) == {"retention_disposallist", "retention_legalhold"}
