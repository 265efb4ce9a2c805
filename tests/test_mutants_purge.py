"""M5 (000§18, 001§20, 002§16, 003§15, 004§19; issue 23 §2): the purge guard of
retention/purge.py, pinned where `make mutate` found it loose.

Pinned: every reason the rules give for refusing a purge, word for word, and the date's
boundary (keep-until today is refused, the day after it is allowed); the refusal's audit
entry (who, which recording, the reason, the path named in Chinese, the address); the
latest item that decided a purge is the one used, never one the job skipped; the store's own
refusal (destruction record removed, item left 未清除 with the store's Chinese line or the
default one, audited 存储拒绝：…, nothing deleted); an item a crash left 清除中 is finished
without the checks; and the purge itself: the store told the recording's version and digest,
derived copies deleted, item, recording and record marked, the audit entry naming the actor,
the file and the record number with digest, size and path."""

# ruff: noqa: F811 (the tests take the shared `archivist` fixture imported below)
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import PurgeRefused, RetentionError
from avrecords.recordings.models import Derivative, Recording
from avrecords.retention import disposal, holds, purge
from avrecords.retention.models import (
    DestructionRecord,
    DisposalItem,
    DisposalStatus,
    ItemDecision,
    ItemOutcome,
    RecordingRetention,
)
from tests.rows import make_stored
from tests.test_retention_flow import _activity
from tests.test_retention_purge import (
    WorkerKilled,
    approved_list,
    archivist,  # noqa: F401 (the fixture, shared)
    old_recordings,
    present,
    use,
)

NOT_ON_A_LIST = "未列入经复核的到期清除清单，不能清除"
STORE_DEFAULT = "存储拒绝清除（锁定未到期或处于法律保全）"


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-seq").first()


def retention(rec, **fields) -> None:
    RecordingRetention.objects.filter(recording=rec).update(**fields)


def refused(actor, rec, reason: str, **kwargs) -> AuditEntry:
    """purge_recording says no with exactly `reason`, keeps the original, and audits it."""
    before = AuditEntry.objects.filter(action="retention.purge_refused").count()
    with pytest.raises(purge.PurgeNotAllowed) as refusal:
        purge.purge_recording(actor, rec, **kwargs)
    assert str(refusal.value) == reason
    assert rec.purged_at is not None or present(rec)  # refused: the original is still there
    assert AuditEntry.objects.filter(action="retention.purge_refused").count() == before + 1
    return last("retention.purge_refused")


def store_calls(monkeypatch) -> list[tuple[str, dict]]:
    """What the store is asked to purge (on S3 the version names the object destroyed)."""
    store_cls = type(get_store())
    real = store_cls.purge
    calls = []

    def recorded(self, key, **kwargs):
        calls.append((key, kwargs))
        return real(self, key, **kwargs)

    monkeypatch.setattr(store_cls, "purge", recorded)
    return calls


# --- the reasons for refusing, word for word --------------------------------------------------


def test_each_rule_refuses_with_its_own_chinese_reason_and_nothing_leaves_the_store(org, archivist):
    use(org, "tongbai")
    (approved,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [approved])  # another recording's approved item
    unclassified = make_stored(org, "unclassified.mp4", at=(2020, 1, 10, 9, 0))
    held, pending, permanent, unlisted = old_recordings(org, 4)
    holds.place(org.admin, kind="complaint", reason="投诉", activity=_activity(org, held))
    retention(pending, pending=True, keep_until=None)
    retention(permanent, keep_until=None)

    refused(org.leader, unclassified, "尚未确定保存期限，不能清除")
    refused(org.leader, held, "法律保全中，不能清除")
    refused(org.leader, pending, "随案卷保存，案卷尚未归档，不能清除")
    refused(org.leader, permanent, "永久保存，不能清除")
    refused(org.leader, unlisted, NOT_ON_A_LIST)
    for rec in (unclassified, held, pending, permanent, unlisted, approved):
        rec.refresh_from_db()
        assert rec.purged_at is None and present(rec)
    assert made.items.get().outcome == ""  # never taken for one of the others
    assert not DestructionRecord.objects.exists()


def test_a_list_must_be_approved_and_the_refusal_names_it_and_its_state(org, archivist):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    (made,) = disposal.make_lists()
    refused(org.leader, rec, NOT_ON_A_LIST)  # listed, not yet reviewed: no decision to purge
    disposal.submit(archivist, made)
    refused(org.leader, rec, f"清除清单 {made.number} 未经批准（待批准），不能清除")
    disposal.decide(org.leader, made, approve=False, comment="再核实")
    refused(org.leader, rec, f"清除清单 {made.number} 未经批准（未批准），不能清除")
    # the next day's list is still under review: the last decision to purge is the rejected one
    (again,) = disposal.make_lists(today=timezone.localdate() + dt.timedelta(days=1))
    refused(org.leader, rec, f"清除清单 {made.number} 未经批准（未批准），不能清除")
    disposal.submit(archivist, again)
    disposal.decide(org.leader, again, approve=True)
    assert purge.purge_recording(org.leader, rec) == ItemOutcome.PURGED
    assert again.items.get(recording=rec).outcome == ItemOutcome.PURGED
    assert made.items.get(recording=rec).outcome == ""  # the rejected list's item untouched
    assert rec.destruction.number == f"{again.number}-{again.items.get(recording=rec).pk}"


def test_an_item_on_a_list_being_purged_may_still_be_purged_by_itself(org, archivist):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    made.status = DisposalStatus.PURGING
    made.save()
    item = made.items.get(recording=rec)
    assert purge.why_not(rec, item) == ""
    assert purge.purge_recording(org.leader, rec) == ItemOutcome.PURGED
    rec.refresh_from_db()
    assert rec.purged_at is not None and not present(rec)
    refused(org.leader, rec, "该音像记录已清除")


def test_the_day_of_keep_until_is_refused_and_the_day_after_is_allowed(org, archivist):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    item = made.items.get(recording=rec)
    today = timezone.localdate()
    retention(rec, keep_until=today)
    rec.refresh_from_db()
    refused(org.leader, rec, f"保存期限至 {today:%Y-%m-%d}，未到期，不能清除")
    assert made.items.get(recording=rec).outcome == "" and present(rec)
    day = dt.date(2024, 3, 1)
    retention(rec, keep_until=day)
    assert purge.why_not(rec, item, today=day) == "保存期限至 2024-03-01，未到期，不能清除"
    assert purge.why_not(rec, item, today=day + dt.timedelta(days=1)) == ""
    assert purge.why_not(rec, None, today=day + dt.timedelta(days=1)) == NOT_ON_A_LIST
    item.decision = ItemDecision.KEEP
    assert purge.why_not(rec, item, today=day + dt.timedelta(days=1)) == NOT_ON_A_LIST
    retention(rec, keep_until=today - dt.timedelta(days=1))
    assert purge.purge_recording(org.leader, rec) == ItemOutcome.PURGED


def test_the_refusal_entry_names_the_actor_the_recording_the_reason_and_the_path(org):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    for path, shown in purge.PATHS.items():
        entry = refused(org.leader, rec, NOT_ON_A_LIST, path=path, ip="10.2.3.4")
        assert entry.actor == org.leader
        assert (entry.object_type, entry.object_id) == ("recordings.recording", str(rec.pk))
        assert entry.summary == f"拒绝清除（{shown}）：{NOT_ON_A_LIST}"
        assert entry.detail == {"path": path, "reason": NOT_ON_A_LIST}
        assert entry.ip == "10.2.3.4"
    entry = refused(org.leader, rec, NOT_ON_A_LIST)
    assert entry.summary == f"拒绝清除（业务服务）：{NOT_ON_A_LIST}" and entry.ip == ""


def test_the_job_skips_an_item_whose_recording_was_held_after_approval_and_audits_it(
    org, archivist
):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    holds.place(org.admin, kind="litigation", reason="行政诉讼", activity=_activity(org, rec))
    assert purge.run_list(made, actor=org.leader, path="cli") == {"purged": 0, "skipped": 1}
    item = made.items.get(recording=rec)
    assert (item.outcome, item.note) == (ItemOutcome.SKIPPED, "法律保全中，不能清除")
    entry = last("retention.purge_refused")
    assert entry.actor == org.leader
    assert (entry.object_type, entry.object_id) == ("recordings.recording", str(rec.pk))
    assert entry.summary == "拒绝清除（命令行）：法律保全中，不能清除"
    assert entry.detail == {"path": "cli", "reason": "法律保全中，不能清除"}
    assert present(rec) and not DestructionRecord.objects.exists()


# --- the store's own refusal ------------------------------------------------------------------


def test_the_stores_refusal_removes_the_begun_record_skips_the_item_and_is_audited(
    org, archivist, monkeypatch
):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    get_store().set_legal_hold(rec.storage_key, version=rec.storage_version, on=True)
    calls = store_calls(monkeypatch)
    said = "存储处于法律保全（legal hold）状态，拒绝清除"
    assert purge.purge_recording(org.leader, rec, path="admin") == ItemOutcome.SKIPPED
    assert calls == [(rec.storage_key, {"version": rec.storage_version, "sha256": rec.sha256})]
    item = made.items.get(recording=rec)
    assert (item.outcome, item.note) == (ItemOutcome.SKIPPED, said)
    assert not DestructionRecord.objects.filter(recording=rec).exists()
    rec.refresh_from_db()
    assert rec.purged_at is None and present(rec)
    entry = last("retention.purge_refused")
    assert entry.actor == org.leader
    assert (entry.object_type, entry.object_id) == ("recordings.recording", str(rec.pk))
    assert entry.summary == f"拒绝清除（管理后台）：存储拒绝：{said}"
    assert entry.detail == {"path": "admin", "reason": f"存储拒绝：{said}"}
    assert not AuditEntry.objects.filter(action="retention.purge").exists()
    # the skipped item does not stand for a decision: the recording goes on a new list first
    get_store().set_legal_hold(rec.storage_key, version=rec.storage_version, on=False)
    refused(org.leader, rec, NOT_ON_A_LIST)
    assert present(rec)


def test_a_store_refusal_without_a_message_of_its_own_gets_the_default_chinese_one(
    org, archivist, monkeypatch
):
    use(org, "tongbai")
    first, second = old_recordings(org, 2)
    made = approved_list(org, archivist, [first, second])
    store_cls = type(get_store())
    long_line = "存储锁定记录不一致，" * 40  # 400 characters: the note keeps the first 300

    def refuses(self, key, **kwargs):
        if key == first.storage_key:
            raise RetentionError(f"{key}: lock could not be read")
        raise PurgeRefused("refused", long_line, reason=PurgeRefused.NOT_DUE, key=key)

    monkeypatch.setattr(store_cls, "purge", refuses)
    assert purge.run_list(made) == {"purged": 0, "skipped": 2}
    item = made.items.get(recording=first)
    assert (item.outcome, item.note) == (ItemOutcome.SKIPPED, STORE_DEFAULT)
    assert made.items.get(recording=second).note == long_line[:300]
    entries = AuditEntry.objects.filter(action="retention.purge_refused").order_by("seq")
    assert [(e.object_id, e.summary) for e in entries] == [
        (str(first.pk), f"拒绝清除（清除任务）：存储拒绝：{STORE_DEFAULT}"),
        (str(second.pk), f"拒绝清除（清除任务）：存储拒绝：{long_line}"[:500]),
    ]
    assert entries[0].actor is None and entries[0].actor_label == "系统"
    assert not DestructionRecord.objects.exists()
    assert present(first) and present(second)


def test_a_store_refusal_removes_only_its_own_begun_record_not_one_a_crash_left_open(
    org, archivist, monkeypatch
):
    use(org, "tongbai")
    crashed, refused_by_store = old_recordings(org, 2)
    made = approved_list(org, archivist, [crashed, refused_by_store])
    store_cls = type(get_store())
    real = store_cls.purge
    monkeypatch.setattr(
        store_cls, "purge", lambda self, key, **kw: (_ for _ in ()).throw(WorkerKilled)
    )
    with pytest.raises(WorkerKilled):
        purge.run_list(made)  # dies before the store deleted the first original
    monkeypatch.setattr(store_cls, "purge", real)
    open_record = DestructionRecord.objects.get(recording=crashed, purged_at__isnull=True)
    key, version = refused_by_store.storage_key, refused_by_store.storage_version
    get_store().set_legal_hold(key, version=version, on=True)
    assert purge.purge_recording(org.leader, refused_by_store) == ItemOutcome.SKIPPED
    assert not DestructionRecord.objects.filter(recording=refused_by_store).exists()
    assert DestructionRecord.objects.get(recording=crashed).pk == open_record.pk
    assert purge.run_list(made) == {"purged": 1, "skipped": 0}  # the crashed one is finished
    finished = DestructionRecord.objects.get(recording=crashed)
    assert finished.pk == open_record.pk and finished.begun_at == open_record.begun_at
    assert finished.purged_at is not None and not present(crashed) and present(refused_by_store)


# --- finishing an item a crash left half-done --------------------------------------------------


def test_an_item_left_purging_is_finished_without_the_checks_once_its_original_is_gone(
    org, archivist, monkeypatch
):
    """The original was deleted before the crash; a hold placed since cannot bring it back,
    so the re-run records the purge instead of leaving an open record and a lost original."""
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    monkeypatch.setattr(
        purge, "_remove_derivatives", lambda rec: (_ for _ in ()).throw(WorkerKilled)
    )
    with pytest.raises(WorkerKilled):
        purge.run_list(made)
    monkeypatch.undo()
    assert not present(rec) and made.items.get(recording=rec).outcome == ItemOutcome.PURGING
    retention(rec, held=True)  # a hold placed between the crash and the re-run
    assert purge.run_list(made) == {"purged": 1, "skipped": 0}
    rec.refresh_from_db()
    assert rec.purged_at is not None and rec.destruction.purged_at is not None
    assert made.items.get(recording=rec).outcome == ItemOutcome.PURGED
    assert not AuditEntry.objects.filter(action="retention.purge_refused").exists()


# --- the purge itself -------------------------------------------------------------------------


def test_a_purge_asks_the_store_for_the_exact_version_and_digest_and_audits_what_went(
    org, archivist, settings, monkeypatch
):
    use(org, "tongbai")
    (rec,) = old_recordings(org, 1)
    made = approved_list(org, archivist, [rec])
    thumb = settings.AVRECORDS_DERIVED_PATH / "thumbs" / f"{rec.pk}.jpg"
    thumb.parent.mkdir(parents=True, exist_ok=True)
    thumb.write_bytes(b"jpeg")
    Derivative.objects.create(
        recording=rec,
        kind=Derivative.Kind.THUMBNAIL,
        relative_path=f"thumbs/{rec.pk}.jpg",
        mime_type="image/jpeg",
        size_bytes=4,
    )
    calls = store_calls(monkeypatch)

    assert purge.purge_recording(org.leader, rec, path="api", ip="10.2.3.4") == "purged"
    assert calls == [(rec.storage_key, {"version": rec.storage_version, "sha256": rec.sha256})]
    item = made.items.get(recording=rec)
    record = DestructionRecord.objects.get(recording=rec)
    assert item.outcome == ItemOutcome.PURGED and record.number == f"{made.number}-{item.pk}"
    assert record.purged_at is not None
    assert record.derivatives == [{"kind": "thumbnail", "path": f"thumbs/{rec.pk}.jpg", "size": 4}]
    assert not thumb.exists() and not Derivative.objects.filter(recording=rec).exists()
    assert Recording.objects.get(pk=rec.pk).purged_at == record.purged_at
    assert not present(rec)
    entry = last("retention.purge")
    assert entry.actor == org.leader
    assert (entry.object_type, entry.object_id) == ("recordings.recording", str(rec.pk))
    assert entry.summary == f"按保存期限清除 {rec.original_name}（{record.number}）"
    assert entry.detail == {"sha256": rec.sha256, "size": rec.size_bytes, "path": "api"}


def test_the_purge_job_audits_each_original_as_the_system_on_the_job_path(org, archivist):
    use(org, "tongbai")
    recs = old_recordings(org, 2)
    made = approved_list(org, archivist, recs)
    assert purge.run_list(made) == {"purged": 2, "skipped": 0}
    entries = AuditEntry.objects.filter(action="retention.purge").order_by("seq")
    assert [e.object_id for e in entries] == [str(r.pk) for r in recs]
    for entry, rec in zip(entries, recs, strict=True):
        assert entry.actor is None and entry.actor_label == "系统"
        assert entry.detail == {"sha256": rec.sha256, "size": rec.size_bytes, "path": "job"}
    assert set(made.items.values_list("outcome", flat=True)) == {ItemOutcome.PURGED}
    assert DisposalItem.objects.filter(outcome=ItemOutcome.PURGED).count() == 2


def test_an_item_purged_by_hand_while_the_job_runs_stays_purged_and_counts_as_purged(
    org, archivist, monkeypatch
):
    """The job read its items before the leader purged the second one from the admin."""
    use(org, "tongbai")
    first, second = old_recordings(org, 2)
    made = approved_list(org, archivist, [first, second])
    store_cls = type(get_store())
    real = store_cls.purge

    def meanwhile(self, key, **kwargs):
        real(self, key, **kwargs)
        if key == first.storage_key:
            purge.purge_recording(org.leader, second, path="admin")

    monkeypatch.setattr(store_cls, "purge", meanwhile)
    assert purge.run_list(made) == {"purged": 2, "skipped": 0}
    assert set(made.items.values_list("outcome", flat=True)) == {ItemOutcome.PURGED}
    assert DestructionRecord.objects.filter(purged_at__isnull=False).count() == 2
    assert not AuditEntry.objects.filter(action="retention.purge_refused").exists()
    by_hand = AuditEntry.objects.get(action="retention.purge", object_id=str(second.pk))
    assert (by_hand.actor, by_hand.detail["path"]) == (org.leader, "admin")
