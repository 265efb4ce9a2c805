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

from avrecords.retention import dashboard
from avrecords.retention.models import RetentionChange
from avrecords.supervision import worklist_sources as supervision_sources
from avrecords.supervision.models import ViolationCandidate
from tests.rows import make


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
