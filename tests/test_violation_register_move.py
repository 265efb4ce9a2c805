"""The violation register moved from compliance to supervision (issue 16): an installation
that has candidates keeps them, with their evidence and decisions, through the migration and
back; the table is the one it always was."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from avrecords.supervision.models import Accountability, ViolationCandidate
from tests.rows import make

# compliance before the move (its last migration with the model) and supervision before it
BEFORE = [
    ("compliance", "0005_violationcandidate_decided_at_and_more"),
    ("supervision", "0001_initial"),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _content_types() -> set[str]:
    return {
        ct.app_label
        for ct in ContentType.objects.filter(model="violationcandidate")
        if ct.app_label in ("compliance", "supervision")
    }


@pytest.mark.django_db(transaction=True)
def test_candidates_made_before_the_move_are_still_there_after_it_and_back(org):
    recording = make(org, "巡查.mp4")
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        with pytest.raises(LookupError):
            old.get_model("supervision", "ViolationCandidate")
        Candidate = old.get_model("compliance", "ViolationCandidate")
        Decision = old.get_model("supervision", "Accountability")
        candidate = Candidate.objects.create(
            key="device-loss:1",
            kind="equipment_loss",
            kind_name="保管不妥造成设备遗失、被盗",
            person_id=org.officer.pk,
            unit_id=org.squad1.pk,
            summary="设备 3501001 遗失",
            cite="004§23(7)",
            status="confirmed",
            decided_by_id=org.leader.pk,
            decision_reason="经查属实",
        )
        candidate.recordings.add(recording.pk)
        Decision.objects.create(
            violation=candidate,
            person_id=org.officer.pk,
            proposed_by_id=org.leader.pk,
            decision="criticism_education",
            decision_name="批评教育",
            reason="初次违规",
        )
        assert Candidate._meta.db_table == "compliance_violationcandidate"
        assert _content_types() == {"compliance"}

        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        assert ViolationCandidate._meta.db_table == "compliance_violationcandidate"
        moved = ViolationCandidate.objects.get(pk=candidate.pk)
        assert (moved.key, moved.kind, moved.summary, moved.cite, moved.status) == (
            "device-loss:1",
            "equipment_loss",
            "设备 3501001 遗失",
            "004§23(7)",
            "confirmed",
        )
        assert moved.person == org.officer and moved.unit == org.squad1
        assert list(moved.recordings.values_list("pk", flat=True)) == [recording.pk]
        [decision] = moved.decisions.all()
        assert decision.decision_name == "批评教育"
        assert Accountability.objects.get(pk=decision.pk).violation == moved
        assert _content_types() == {"supervision"}  # its permissions moved with it

        back = _migrate(BEFORE).loader.project_state(BEFORE).apps
        restored = back.get_model("compliance", "ViolationCandidate").objects.get(pk=candidate.pk)
        assert restored.summary == "设备 3501001 遗失"
        assert list(restored.recordings.values_list("pk", flat=True)) == [recording.pk]
        assert _content_types() == {"compliance"}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert ViolationCandidate.objects.filter(pk=candidate.pk).exists()
