"""M5 disposal: the day's list of what has passed its date, the archivist's review (keep with a
reason → a longer category; zhanhe 003§15 every item decided), the leader's approval, the
purge with its destruction record and tombstone — and every early path refused and audited:
service, list not approved, command line, direct store call; a crash mid-batch leaves each
item purged with its record or untouched."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.management import call_command

from avrecords.audit.models import AuditEntry
from avrecords.jobs import services as jobs
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import PurgeRefused
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.recordings.models import Recording
from avrecords.retention import disposal, holds, purge
from avrecords.retention.approvals import Refused
from avrecords.retention.models import (
    DestructionRecord,
    DisposalStatus,
    ItemDecision,
    ItemOutcome,
    RecordingRetention,
)
from avrecords.retention.services import reclassify
from tests.conftest import client_for
from tests.rows import make_stored
from tests.test_retention_flow import _activity

OLD = (2020, 1, 10, 9, 0)  # tongbai: kept to 2022-01-10, long past


@pytest.fixture
def archivist(org):
    return User.objects.create(
        username="dangan", full_name="何静", role=Role.ARCHIVIST, unit=org.bureau
    )


def use(org, code):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code=code))


_names = itertools.count(1)


def old_recordings(org, n=3, at=OLD):
    recs = [make_stored(org, f"old{next(_names)}.mp4", at=at) for _ in range(n)]
    reclassify(recs)
    return recs


def approved_list(org, archivist, recs):
    (made,) = disposal.make_lists()
    disposal.submit(archivist, made)
    disposal.decide(org.leader, made, approve=True)
    return made


def present(rec) -> bool:
    return get_store().exists(rec.storage_key, version=rec.storage_version)


def refusals(path: str) -> int:
    return AuditEntry.objects.filter(action="retention.purge_refused", detail__path=path).count()


def test_the_daily_list_names_what_has_passed_its_date_and_nothing_else(org):
    use(org, "tongbai")
    old = old_recordings(org, 2)
    young = old_recordings(org, 1, at=(2026, 11, 20, 9, 0))
    held = old_recordings(org, 1)[0]
    holds.place(org.admin, kind="complaint", reason="投诉", activity=_activity(org, held))
    (made,) = disposal.make_lists()
    listed = set(made.items.values_list("recording_id", flat=True))
    assert listed == {r.pk for r in old}
    assert young[0].pk not in listed and held.pk not in listed
    assert disposal.make_lists() == []  # already on an open list: not listed twice


def test_review_keeps_an_item_with_a_reason_and_a_longer_category(org, archivist):
    use(org, "tongbai")
    keep, drop = old_recordings(org, 2)
    (made,) = disposal.make_lists()
    item = made.items.get(recording=keep)
    with pytest.raises(Refused, match="理由"):
        disposal.decide_item(archivist, item, ItemDecision.KEEP, reason=" ")
    disposal.decide_item(archivist, item, ItemDecision.KEEP, fact="valuable", reason="典型案例")
    disposal.submit(archivist, made)
    row = RecordingRetention.objects.get(recording=keep)
    assert (row.category, row.keep_until) == ("other_long_term", None)  # 000§20(4)
    assert made.items.get(recording=keep).outcome == ItemOutcome.KEPT
    assert made.items.get(recording=drop).decision == ItemDecision.PURGE


def test_zhanhe_asks_for_a_decision_on_every_item(org):
    """003§15 到期后对无保存意义的进行清除处理: nothing is purged by default."""
    use(org, "zhanhe")
    zhanhe_archivist = User.objects.create(
        username="dangan2", full_name="许敏", role=Role.ARCHIVIST, unit=org.bureau
    )
    old_recordings(org, 2, at=(2014, 1, 10, 9, 0))  # 120 months → 2024-01-10
    (made,) = disposal.make_lists()
    assert made.review_each
    first = made.items.first()
    disposal.decide_item(zhanhe_archivist, first, ItemDecision.PURGE)
    with pytest.raises(Refused, match="尚有 1 条未复核"):
        disposal.submit(zhanhe_archivist, made)


def test_only_the_leader_approves_and_then_originals_go_with_a_record(org, archivist):
    use(org, "tongbai")
    recs = old_recordings(org, 3)
    (made,) = disposal.make_lists()
    disposal.submit(archivist, made)
    with pytest.raises(Refused, match="分管领导"):
        disposal.decide(archivist, made, approve=True)
    disposal.decide(org.leader, made, approve=True)
    assert jobs.run_pending() >= 1  # the purge job
    made.refresh_from_db()
    assert made.status == DisposalStatus.DONE
    for rec in recs:
        rec.refresh_from_db()
        assert rec.purged_at is not None and not present(rec)
        record = DestructionRecord.objects.get(recording=rec)
        assert record.purged_at and record.sha256 == rec.sha256
        assert record.size_bytes == rec.size_bytes and record.keep_until == dt.date(2022, 1, 10)
        assert record.approved_by.startswith("郑国华") and record.reviewed_by.startswith("何静")
    assert AuditEntry.objects.filter(action="retention.purge").count() == 3
    # the tombstones stay searchable
    assert (
        Recording.objects.filter(pk__in=[r.pk for r in recs], purged_at__isnull=False).count() == 3
    )


def test_a_rejected_list_purges_nothing(org, archivist):
    use(org, "tongbai")
    recs = old_recordings(org, 1)
    (made,) = disposal.make_lists()
    disposal.submit(archivist, made)
    with pytest.raises(Refused, match="意见"):
        disposal.decide(org.leader, made, approve=False)
    disposal.decide(org.leader, made, approve=False, comment="再核实")
    with pytest.raises(purge.PurgeNotAllowed, match="未经批准"):
        purge.run_list(made, path="cli")
    assert present(recs[0])


def test_a_hold_placed_after_approval_stops_the_purge_of_its_recordings(org, archivist):
    use(org, "tongbai")
    held, free = old_recordings(org, 2)
    made = approved_list(org, archivist, [held, free])
    holds.place(org.admin, kind="litigation", reason="行政诉讼", activity=_activity(org, held))
    purge.run_list(made)
    assert present(held) and not present(free)
    item = made.items.get(recording=held)
    assert item.outcome == ItemOutcome.SKIPPED and "法律保全" in item.note


# --- every early path is refused, audited, and changes nothing --------------------------------


def test_the_service_refuses_a_recording_not_yet_due(org):
    use(org, "tongbai")
    (young,) = old_recordings(org, 1, at=(2026, 11, 20, 9, 0))
    with pytest.raises(purge.PurgeNotAllowed, match="保存期限至 2028-11-20，未到期"):
        purge.purge_recording(org.leader, young)
    assert present(young) and refusals("service") == 1


def test_the_service_refuses_a_due_recording_no_approved_list_names(org, archivist):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    with pytest.raises(purge.PurgeNotAllowed, match="未列入"):
        purge.purge_recording(org.leader, rec)
    (made,) = disposal.make_lists()  # on a list, reviewed, not yet approved
    disposal.submit(User.objects.get(username="dangan"), made)
    with pytest.raises(purge.PurgeNotAllowed, match="未经批准"):
        purge.purge_recording(org.leader, rec)
    assert present(rec) and refusals("service") == 2


def test_the_command_line_refuses_and_exits_1(org, capsys):
    use(org, "tongbai")
    (young,) = old_recordings(org, 1, at=(2026, 11, 20, 9, 0))
    with pytest.raises(SystemExit) as exit_:
        call_command("retention", "purge", "--recording", str(young.pk))
    assert exit_.value.code == 1
    assert "拒绝清除" in capsys.readouterr().err
    assert present(young) and refusals("cli") == 1


def test_the_api_refuses_with_409_and_the_refusal_is_audited(org):
    use(org, "tongbai")
    (young,) = old_recordings(org, 1, at=(2026, 11, 20, 9, 0))
    response = client_for(org.leader).post(f"/api/v1/retention/recordings/{young.pk}/purge")
    assert response.status_code == 409
    assert "未到期" in response.json()["detail"]
    assert (
        client_for(org.admin).post(f"/api/v1/retention/recordings/{young.pk}/purge").status_code
        == 403
    )
    assert present(young) and refusals("api") == 1


def test_the_store_itself_refuses_an_early_purge(org):
    """A direct call into the store, bypassing every service: its own lock says no."""
    use(org, "tongbai")
    (young,) = old_recordings(org, 1, at=(2026, 11, 20, 9, 0))
    with pytest.raises(PurgeRefused):
        get_store().purge(young.storage_key, version=young.storage_version)
    assert present(young)


def test_the_store_refuses_a_held_original_even_past_its_date(org):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    holds.place(org.admin, kind="complaint", reason="投诉", activity=_activity(org, rec))
    with pytest.raises(PurgeRefused):
        get_store().purge(rec.storage_key, version=rec.storage_version)
    assert present(rec)


# --- a crash in the middle of a batch ----------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, nothing catches it on the way out."""


def test_a_crash_mid_batch_leaves_each_item_purged_with_its_record_or_untouched(
    org, archivist, monkeypatch
):
    use(org, "tongbai")
    recs = old_recordings(org, 5)
    made = approved_list(org, archivist, recs)
    store_cls = type(get_store())
    real = store_cls.purge
    calls = []

    def dies_on_the_third(self, key, **kwargs):
        calls.append(key)
        if len(calls) == 3:
            raise WorkerKilled  # after the record was begun, before the store deleted
        return real(self, key, **kwargs)

    monkeypatch.setattr(store_cls, "purge", dies_on_the_third)
    with pytest.raises(WorkerKilled):
        purge.run_list(made)
    for rec in recs:
        rec.refresh_from_db()
        record = DestructionRecord.objects.filter(recording=rec, purged_at__isnull=False).first()
        if rec.purged_at:
            assert record is not None and not present(rec)
        else:
            assert record is None and present(rec)  # untouched: the original is all there
            assert get_store().verify(rec.storage_key, rec.sha256, version=rec.storage_version)
    assert (
        sum(r.purged_at is not None for r in Recording.objects.filter(pk__in=[r.pk for r in recs]))
        == 2
    )
    monkeypatch.setattr(store_cls, "purge", real)
    purge.run_list(made)  # the job is re-run: it finishes what was begun
    assert DestructionRecord.objects.filter(purged_at__isnull=False).count() == 5
    assert not any(present(r) for r in recs)


def test_a_crash_after_the_store_deleted_is_finished_on_the_rerun(org, archivist, monkeypatch):
    use(org, "tongbai")
    recs = old_recordings(org, 2)
    made = approved_list(org, archivist, recs)
    monkeypatch.setattr(
        purge, "_remove_derivatives", lambda rec: (_ for _ in ()).throw(WorkerKilled)
    )
    with pytest.raises(WorkerKilled):
        purge.run_list(made)
    assert not present(recs[0])  # deleted, the record still open
    monkeypatch.undo()
    purge.run_list(made)
    assert DestructionRecord.objects.filter(purged_at__isnull=False).count() == 2


def test_purging_an_original_deletes_its_redacted_copies_and_their_boxes(org, archivist):
    """M5 with issue 21: a redacted copy is derived from the original (M2); when the original
    is destroyed at the end of its retention, the copy held here goes with it, and the boxes
    that said where people's faces were. The copy's row stays, marked, for the lineage."""
    from avrecords.redaction.models import Redaction, RedactionTrack
    from avrecords.redaction.services import output_root

    use(org, "tongbai")
    (rec,) = old_recordings(org, n=1)
    relative = f"redacted/{rec.pk}/copy.mp4"
    copy = output_root() / relative
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(b"redacted copy")
    redaction = Redaction.objects.create(
        recording=rec,
        requested_by=org.sysadmin,
        purpose="提供给当事人",
        targets=["faces"],
        style="blur",
        state="signed_off",
        original_sha256=rec.sha256,
        output_path=relative,
        output_sha256="ab" * 32,
        output_size=13,
    )
    RedactionTrack.objects.create(
        redaction=redaction, kind="face", label="人脸 1", boxes=[[0, 0.1, 0.1, 0.2, 0.2]]
    )
    purge.run_list(approved_list(org, archivist, [rec]))

    rec.refresh_from_db()
    redaction.refresh_from_db()
    assert rec.purged_at is not None and not copy.exists()
    assert redaction.output_path == "" and not redaction.tracks.exists()
    assert redaction.message == "原始记录已按保存期限清除，副本文件一并删除"
    assert {"kind": "redacted_copy", "path": relative, "size": 13, "sha256": "ab" * 32} in (
        rec.destruction.derivatives
    )
