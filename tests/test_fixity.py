"""M2 fixity sweeps: originals re-read and re-hashed on a schedule; damage raises an alarm.

Store-independent tests take `originals`, which is parametrized by `backend`: one entry of
BACKENDS per store. A backend configures the store before anything is ingested and damages
stored objects behind the product's back with the store's own means (the local one with
chmod and a write to the file; the S3 one through the SeaweedFS filer's own HTTP API, under
the Object Lock the S3 interface enforces). Tests that wrap LocalStore to simulate
read failures take `local_originals`.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.fixity import conf, schedule
from avrecords.fixity import sweep as sweeping
from avrecords.fixity.models import FixityCheck, FixityState, Outcome, SweepSlot
from avrecords.fixity.sweep import ReadResult, sweep
from avrecords.jobs import periodic
from avrecords.jobs import services as jobs
from avrecords.jobs.management.commands.worker import reaper_pass
from avrecords.jobs.models import Job, JobState
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import StoreError, StoreIntegrityError, StoreUnavailableError
from avrecords.lib.storage.local import LocalStore
from avrecords.recordings.models import Recording
from tests import media as m
from tests.cli import CliHome
from tests.conftest import client_for
from tests.media import make_dump

NAMES = [m.H264, m.H264_B, m.WAV, m.PHOTO]


# --- fixtures --------------------------------------------------------------------------------


class LocalBackend:
    """The local store (conftest's isolated_store); damages objects as someone with a shell could."""

    def __init__(self, settings) -> None:
        # Nothing to configure (an S3 backend would point `settings` at its bucket here).
        self.store = get_store()

    def _path(self, recording: Recording) -> Path:
        return Path(self.store.local_path(recording.storage_key))

    def flip_byte(self, recording: Recording, offset: int | None = None) -> None:
        path = self._path(recording)
        path.chmod(0o644)  # committed originals are 0400
        with open(path, "r+b") as fh:
            fh.seek(recording.size_bytes // 2 if offset is None else offset)
            byte = fh.read(1)
            fh.seek(-1, io.SEEK_CUR)
            fh.write(bytes([byte[0] ^ 0x01]))
        path.chmod(0o400)

    def remove(self, recording: Recording) -> None:
        self._path(recording).unlink()


class S3Backend:
    """An S3 Object Lock bucket on the test SeaweedFS server; damages stored versions through
    the server's own filer API, which the S3 interface (and its locks) never sees."""

    def __init__(self, settings, request) -> None:
        from tests.s3server import configure_store

        self.server = request.getfixturevalue("s3_server")
        self.bucket = self.server.make_bucket()
        configure_store(settings, self.server, self.bucket)
        request.addfinalizer(get_store.cache_clear)
        self.store = get_store()

    def _current(self, recording: Recording) -> bytes:
        with self.store.open(recording.storage_key, version=recording.storage_version) as fh:
            return fh.read()

    def flip_byte(self, recording: Recording, offset: int | None = None) -> None:
        data = bytearray(self._current(recording))
        at = recording.size_bytes // 2 if offset is None else offset
        data[at] ^= 0x01
        version = recording.storage_version
        assert version, "an S3 original is pinned to its version"
        status = self.server.tamper_replace(self.bucket, recording.storage_key, version, data)
        assert status in (200, 201, 204)

    def remove(self, recording: Recording) -> None:
        key, version = recording.storage_key, recording.storage_version
        assert self.server.tamper_delete(self.bucket, key, version) in (200, 202, 204)


BACKENDS = {"local": LocalBackend, "s3": S3Backend}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, isolated_store, settings):
    if request.param == "local":
        return LocalBackend(settings)
    return S3Backend(settings, request)


def ingest(library: Path, dest: Path, names: list[str]) -> list[Recording]:
    out = io.StringIO()
    call_command(
        "ingest",
        str(make_dump(library, dest, names)),
        "--station",
        "一中队采集站",
        "--json",
        stdout=out,
    )
    ids = [f["recording_id"] for f in json.loads(out.getvalue())["files"]]
    assert len(ids) == len(names) and all(ids)
    return list(Recording.objects.filter(pk__in=ids).order_by("pk"))


@pytest.fixture
def originals(backend, org, library, tmp_path) -> list[Recording]:
    """Four originals in the backend's store (the backend is set up first)."""
    return ingest(library, tmp_path / "CAMERA", NAMES)


@pytest.fixture
def local_originals(org, library, tmp_path) -> list[Recording]:
    return ingest(library, tmp_path / "CAMERA", NAMES)


def fast_sweep(**kwargs):
    return sweep(rate_bytes_per_second=0, **kwargs)


def outcomes(checks) -> dict[int, str]:
    return {c.recording_id: c.outcome for c in checks}


def checks_of(recording: Recording) -> list[FixityCheck]:
    return list(FixityCheck.objects.filter(recording=recording).order_by("id"))


def run_report(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("fixity", "report", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


# --- sweeping ----------------------------------------------------------------------------------


def test_a_first_sweep_finds_every_original_intact(originals):
    summary = fast_sweep()
    assert summary.checked == len(originals) and summary.stopped == "done"
    assert summary.counts == {"ok": 4, "mismatch": 0, "missing": 0, "error": 0}
    assert summary.bytes_read == sum(r.size_bytes for r in originals)
    for r in originals:
        [check] = checks_of(r)
        assert (check.outcome, check.observed_sha256, check.bytes_read) == (
            Outcome.OK,
            r.sha256,
            r.size_bytes,
        )
        assert not check.alarm and check.worker
        assert FixityState.objects.get(recording=r).last_checked_at == check.checked_at
    [entry] = AuditEntry.objects.filter(action="fixity.sweep")
    assert entry.detail["checked"] == 4 and entry.actor_id is None


def test_it_catches_one_flipped_byte_in_a_stored_original(originals, backend, caplog):
    fast_sweep()
    victim = originals[1]
    backend.flip_byte(victim)
    with caplog.at_level(logging.ERROR, logger="avrecords.fixity"):
        summary = fast_sweep()
    assert outcomes(FixityCheck.objects.filter(checked_at__gt=checks_of(victim)[0].checked_at)) == {
        r.pk: Outcome.MISMATCH if r == victim else Outcome.OK for r in originals
    }
    bad = checks_of(victim)[-1]
    assert bad.alarm and bad.acknowledged_at is None and summary.alarms == [bad.pk]
    assert bad.expected_sha256 == victim.sha256
    assert bad.observed_sha256 not in ("", victim.sha256)
    entry = AuditEntry.objects.get(action="fixity.mismatch")
    assert (entry.object_type, entry.object_id) == ("recordings.recording", str(victim.pk))
    assert entry.detail["observed_sha256"] == bad.observed_sha256
    assert any(
        r.levelno == logging.ERROR and "fixity mismatch" in r.getMessage() for r in caplog.records
    )


def test_it_reports_a_deleted_original_as_missing(originals, backend):
    fast_sweep()
    backend.remove(originals[0])
    summary = fast_sweep()
    assert summary.counts["missing"] == 1 and summary.counts["ok"] == 3
    bad = checks_of(originals[0])[-1]
    assert (bad.outcome, bad.alarm, bad.bytes_read) == (Outcome.MISSING, True, 0)
    entry = AuditEntry.objects.get(action="fixity.missing")
    assert entry.object_id == str(originals[0].pk)


def test_the_same_damage_found_again_raises_no_second_alarm(originals, backend):
    backend.flip_byte(originals[0])
    first = fast_sweep()
    again = fast_sweep()
    assert first.counts["mismatch"] == again.counts["mismatch"] == 1
    assert len(first.alarms) == 1 and again.alarms == []
    backend.remove(originals[0])  # the damage changes: a new alarm
    assert len(fast_sweep().alarms) == 1
    assert AuditEntry.objects.filter(action__in=["fixity.mismatch", "fixity.missing"]).count() == 2


def test_it_checks_never_checked_originals_first_then_the_oldest(originals, library, tmp_path):
    fast_sweep()
    now = timezone.now()
    ages_days = {originals[0]: 3, originals[1]: 9, originals[2]: 1, originals[3]: 5}
    for r, days in ages_days.items():
        FixityState.objects.filter(recording=r).update(last_checked_at=now - timedelta(days=days))
    [newcomer] = ingest(library, tmp_path / "CAMERA2", [m.MP3])
    order = []
    fast_sweep(on_check=lambda c: order.append(c.recording_id))
    assert order == [newcomer.pk] + [r.pk for r in sorted(originals, key=lambda r: -ages_days[r])]


def test_a_sweep_stops_at_its_byte_budget_and_the_next_one_carries_on(originals):
    first = fast_sweep(max_bytes=1)  # the first original is always checked
    assert (first.checked, first.stopped) == (1, "bytes")
    budget = originals[1].size_bytes + originals[2].size_bytes
    second = fast_sweep(max_bytes=budget)
    assert second.checked == 2 and second.bytes_read <= budget
    third = []
    fast_sweep(max_bytes=1, on_check=lambda c: third.append(c.recording_id))
    assert third == [originals[3].pk]  # the one still never checked, nothing twice
    assert FixityCheck.objects.values("recording").distinct().count() == 4
    assert FixityCheck.objects.count() == 4


def test_the_rate_limit_holds_a_sweep_to_its_rate(originals):
    total = sum(r.size_bytes for r in originals)
    unlimited = fast_sweep()
    # The limit is set well below the speed measured just now (no absolute time: a loaded
    # machine, CI's three passes on two cores, made a fixed 0.5 s bound flaky); a limited
    # sweep that took the unlimited time would fail the last assertion by a factor of four.
    FixityState.objects.update(last_checked_at=None)
    wanted_seconds = max(1.5, 4 * unlimited.seconds)
    limited = sweep(rate_bytes_per_second=total / wanted_seconds)
    assert limited.bytes_read == total
    assert limited.seconds >= wanted_seconds * 0.95


def test_a_read_error_is_no_alarm_and_is_tried_first_next_time(local_originals, monkeypatch):
    originals = local_originals

    class FailingStore(LocalStore):
        def open(self, key, *, version=""):
            if key == originals[2].storage_key:
                raise OSError(5, "Input/output error")
            return super().open(key, version=version)

    store = FailingStore(get_store().root)
    summary = fast_sweep(store=store)
    assert summary.counts == {"ok": 3, "mismatch": 0, "missing": 0, "error": 1}
    assert summary.alarms == []
    state = FixityState.objects.get(recording=originals[2])
    assert state.last_checked_at is None and state.claimed_until is None
    order = []
    fast_sweep(on_check=lambda c: order.append(c.recording_id))
    assert order[0] == originals[2].pk

    monkeypatch.setattr(sweeping, "MAX_ERRORS_IN_A_ROW", 2)

    class DeadStore(LocalStore):
        def open(self, key, *, version=""):
            raise StoreUnavailableError("store unreachable after 5 attempts")

    FixityState.objects.update(last_checked_at=None)
    dead = fast_sweep(store=DeadStore(get_store().root))
    assert (dead.checked, dead.stopped, dead.counts["error"]) == (2, "errors", 2)


class FlexibleChecksumError(Exception):
    """Named like botocore's: what an S3 read raises for an object altered in place."""


@pytest.mark.parametrize(
    "error",
    [
        StoreIntegrityError("originals/…@v1: checksum mismatch"),
        FlexibleChecksumError("Expected checksum crc did not match calculated checksum"),
    ],
    ids=["store-integrity-error", "unwrapped-botocore-error"],
)
def test_a_store_integrity_error_counts_as_a_mismatch(local_originals, error):
    originals = local_originals

    class CheckingStore(LocalStore):
        def open(self, key, *, version=""):
            if key == originals[0].storage_key:
                raise StoreError("read failed") from error
            return super().open(key, version=version)

    summary = fast_sweep(store=CheckingStore(get_store().root))
    assert summary.counts["mismatch"] == 1 and len(summary.alarms) == 1
    bad = checks_of(originals[0])[-1]
    assert bad.outcome == Outcome.MISMATCH and "read failed" in bad.error


def test_it_reads_the_object_version_recorded_at_ingest(local_originals):
    originals = local_originals
    Recording.objects.filter(pk=originals[0].pk).update(storage_version="v-17")
    seen = {}

    class VersionedStore(LocalStore):
        def open(self, key, *, version=""):
            seen[key] = version
            return super().open(key, version=version)

    fast_sweep(store=VersionedStore(get_store().root))
    assert seen[originals[0].storage_key] == "v-17"
    assert seen[originals[1].storage_key] == ""


@pytest.mark.database_specific  # claimed by a conditional UPDATE
def test_two_sweeps_at_once_split_the_work(originals):
    other = "other-host:1:1"
    sweeping.ensure_states()
    claimed = FixityState.objects.get(recording=originals[0])
    assert sweeping.claim(claimed, other, 60)
    summary = fast_sweep()
    assert originals[0].pk not in outcomes(FixityCheck.objects.all())
    assert summary.checked == 3


def test_checking_streams_in_chunks_without_loading_the_object(originals, settings, monkeypatch):
    settings.AVRECORDS_COPY_CHUNK_BYTES = 65536
    sizes = []
    real = sweeping.copy_hashing

    def spy(src, write, hasher, *, chunk_bytes, progress):
        def both(nbytes):
            sizes.append(nbytes)
            progress(nbytes)

        return real(src, write, hasher, chunk_bytes=chunk_bytes, progress=both)

    monkeypatch.setattr(sweeping, "copy_hashing", spy)
    biggest = max(originals, key=lambda r: r.size_bytes)
    result = sweeping.rehash(get_store(), biggest.storage_key, biggest.sha256)
    assert result == ReadResult(Outcome.OK, biggest.sha256, biggest.size_bytes, result.seconds)
    assert len(sizes) > 1 and max(sizes) <= 65536


# --- scheduling ---------------------------------------------------------------------------------


def test_the_schedule_enqueues_one_sweep_per_interval(originals, monkeypatch):
    monkeypatch.setattr(conf, "INTERVAL_SECONDS", 3600)
    now = timezone.now()
    first = schedule.enqueue_due_sweep(now)
    assert first is not None and first.kind == "fixity.sweep"
    assert schedule.enqueue_due_sweep(now) is None
    assert schedule.enqueue_due_sweep(now + timedelta(seconds=1)) is None
    jobs.run_pending()
    first.refresh_from_db()
    assert first.state == JobState.DONE
    assert FixityCheck.objects.count() == 4
    assert first.payload["max_seconds"] == 3600 * conf.SWEEP_TIME_SHARE
    nxt = schedule.enqueue_due_sweep(now + timedelta(hours=1))
    assert nxt is not None and schedule.enqueue_due_sweep(now + timedelta(hours=1)) is None
    assert Job.objects.filter(kind="fixity.sweep").count() == 2


def test_no_new_sweep_is_enqueued_while_the_last_one_still_runs(originals, monkeypatch):
    monkeypatch.setattr(conf, "INTERVAL_SECONDS", 3600)
    now = timezone.now()
    job = schedule.enqueue_due_sweep(now)
    later = now + timedelta(hours=1)
    assert schedule.enqueue_due_sweep(later) is None  # the first is still queued
    jobs.run(job.pk)
    assert schedule.enqueue_due_sweep(later) is not None


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_interval_enqueue_one_sweep(monkeypatch):
    monkeypatch.setattr(conf, "INTERVAL_SECONDS", 3600)
    now = timezone.now()
    start = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(schedule.enqueue_due_sweep(now))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len([j for j in results if j is not None]) == 1
    assert SweepSlot.objects.count() == 1
    assert Job.objects.filter(kind="fixity.sweep").count() == 1


def test_the_worker_reaper_pass_runs_the_schedule(originals, monkeypatch):
    monkeypatch.setattr(conf, "INTERVAL_SECONDS", 3600)
    assert periodic.registered()["fixity.sweep"] is schedule.enqueue_due_sweep
    reaper_pass()
    reaper_pass()  # the same interval: no second sweep
    assert Job.objects.filter(kind="fixity.sweep", state=JobState.QUEUED).count() == 1


# --- page, banner, acknowledgement, API ----------------------------------------------------------


@pytest.fixture
def alarm(originals, backend) -> FixityCheck:
    backend.flip_byte(originals[0])
    summary = fast_sweep()
    return FixityCheck.objects.get(pk=summary.alarms[0])


def _csrf_post(client: Client, url: str, data: dict):
    client.get("/fixity/")
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_the_alarm_shows_on_the_page_and_as_a_banner_until_acknowledged(org, alarm):
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(org.admin)
    page = admin.get("/fixity/").content.decode()
    assert "未确认的告警" in page and "alarm-box" in page
    assert (
        f"#{alarm.pk}" in page and alarm.observed_sha256 in page and alarm.expected_sha256 in page
    )
    assert m.H264 in page and "确认告警" in page
    assert "alarm-banner" in admin.get("/recordings/").content.decode()

    before = AuditEntry.objects.count()
    url = f"/fixity/alarms/{alarm.pk}/acknowledge"
    assert admin.post(url, {"note": "已上报"}).status_code == 403  # no CSRF token
    response = _csrf_post(admin, url, {"note": "已核实，已上报"})
    assert response.status_code == 302 and response["Location"] == "/fixity/"
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == org.admin and alarm.acknowledge_note == "已核实，已上报"
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "fixity.acknowledge",
        org.admin.pk,
        str(alarm.recording_id),
    )
    assert "alarm-banner" not in admin.get("/recordings/").content.decode()
    assert "没有未确认的告警" in admin.get("/fixity/").content.decode()
    _csrf_post(admin, url, {})  # twice: nothing more is recorded
    assert AuditEntry.objects.filter(seq__gt=before).count() == 1


def test_leaders_see_the_alarm_but_neither_the_banner_nor_the_button(org, alarm):
    leader = client_for(org.leader)
    page = leader.get("/fixity/").content.decode()
    assert alarm.observed_sha256 in page and "确认告警" not in page
    assert "alarm-banner" not in leader.get("/recordings/").content.decode()
    assert leader.post(f"/fixity/alarms/{alarm.pk}/acknowledge").status_code == 403


def test_only_the_alarms_of_ones_own_units_are_shown(org, alarm):
    for user, sees in [
        (org.admin, True),
        (org.bureau_admin, True),
        (org.sysadmin, True),
        (org.other_admin, False),
        (org.head2, False),
    ]:
        client = client_for(user)
        assert (alarm.observed_sha256 in client.get("/fixity/").content.decode()) is sees
        ids = [a["id"] for a in client.get("/api/v1/fixity/alarms").json()]
        assert (ids == [alarm.pk]) is sees
        assert ("alarm-banner" in client.get("/recordings/").content.decode()) is (
            sees and user != org.head2
        )
    hidden = client_for(org.other_admin).post(f"/fixity/alarms/{alarm.pk}/acknowledge")
    assert hidden.status_code == 404


def test_the_api_lists_open_alarms(org, alarm):
    [row] = client_for(org.admin).get("/api/v1/fixity/alarms").json()
    assert row == {
        "id": alarm.pk,
        "recording_id": alarm.recording_id,
        "original_name": m.H264,
        "unit_name": "执法一中队",
        "outcome": "mismatch",
        "outcome_label": "哈希不符",
        "expected_sha256": alarm.expected_sha256,
        "observed_sha256": alarm.observed_sha256,
        "storage_key": alarm.recording.storage_key,
        "bytes_read": alarm.bytes_read,
        "error": "",
        "checked_at": row["checked_at"],
    }
    assert client_for(org.officer).get("/api/v1/fixity/alarms").status_code == 403


def test_the_page_shows_coverage_and_recent_checks(org, originals):
    fast_sweep()
    page = client_for(org.admin).get("/fixity/").content.decode()
    assert re.search(r"近 30 天已校验</dt><dd>4 个（100.0%）", page)
    assert page.count('<span class="badge ready">完好</span>') >= 4


# --- commands ------------------------------------------------------------------------------------


def test_fixity_report_exits_1_and_lists_open_alarms(originals, backend):
    fast_sweep()
    assert run_report()[0] == 0
    backend.flip_byte(originals[3])
    fast_sweep()
    code, text = run_report()
    assert code == 1
    victim = originals[3]
    assert "未确认的完整性告警 1 条" in text
    assert victim.original_name in text and victim.sha256 in text
    code, out = run_report("--json")
    report = json.loads(out)
    assert code == 1 and report["originals"] == 4 and report["checked_within_days"] == 4
    assert report["by_outcome"] == {"ok": 3, "mismatch": 1, "missing": 0, "error": 0}
    [listed] = report["open_alarms"]
    assert (listed["recording_id"], listed["original_name"], listed["expected_sha256"]) == (
        victim.pk,
        victim.original_name,
        victim.sha256,
    )
    assert listed["observed_sha256"] and listed["checked_at"]


def test_fixity_report_counts_never_checked_originals(originals):
    code, out = run_report("--json", "--days", "7")
    report = json.loads(out)
    assert code == 0 and report["never_checked"] == 4 and report["oldest_check"] is None
    assert report["coverage_days"] == 7 and report["open_alarms"] == []


def test_fixity_sweep_command_prints_a_summary_and_exits_1_on_damage(originals, backend):
    out = io.StringIO()
    call_command("fixity", "sweep", "--rate-mb-s", "0", stdout=out)
    assert "校验 4 个原始文件：完好 4，哈希不符 0，对象缺失 0，读取出错 0" in out.getvalue()
    backend.remove(originals[2])
    FixityState.objects.update(last_checked_at=None)
    with pytest.raises(CommandError) as failed:
        call_command("fixity", "sweep", "--rate-mb-s", "0", "--max-gb", "1", stdout=io.StringIO())
    assert failed.value.returncode == 1


@pytest.mark.slow
def test_the_real_cli_catches_a_flipped_byte(tmp_path, library):
    home = CliHome(tmp_path / "home", migrated=True)
    code, _ = home.ingest(make_dump(library, tmp_path / "CAMERA", [m.H264, m.WAV]))
    assert code == 0
    ok = home.run("fixity", "sweep")
    assert ok.returncode == 0, ok.stderr
    assert "完好 2" in ok.stdout
    [(key,)] = home.query(
        "SELECT storage_key FROM recordings_recording WHERE original_name = ?", (m.WAV,)
    )
    stored = home.store / key
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF
    stored.write_bytes(bytes(data))
    home.query("UPDATE fixity_fixitystate SET last_checked_at = NULL")
    caught = home.run("fixity", "sweep", "--rate-mb-s", "0")
    assert caught.returncode == 1 and "哈希不符 1" in caught.stdout
    report = home.run("fixity", "report")
    assert report.returncode == 1 and m.WAV in report.stdout
    assert "未确认" in report.stderr
    assert json.loads(home.run("fixity", "report", "--json").stdout)["open_alarms"]
