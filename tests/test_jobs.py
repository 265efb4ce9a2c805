"""Background media jobs: leases, heartbeats, retries, and a killed worker's job re-run."""

from __future__ import annotations

import datetime as dt
import io
import json
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from avrecords.demo import media
from avrecords.jobs import periodic
from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job, JobState
from avrecords.recordings.models import Recording, RecordingStatus
from tests import backends
from tests import media as m
from tests.cli import CliHome
from tests.media import make_dump


@pytest.fixture
def hevc_recording(org, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA", [m.HEVC])
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    rec_id = json.loads(out.getvalue())["files"][0]["recording_id"]
    return Recording.objects.get(pk=rec_id)


def _proxy_job(recording) -> Job:
    return Job.objects.get(kind="media.proxy", subject_id=str(recording.pk))


def test_each_new_video_gets_a_thumbnail_job_and_a_proxy_job_only_when_needed(
    org, library, tmp_path
):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.HEVC, m.WAV])
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=io.StringIO())
    kinds = {
        Recording.objects.get(pk=j.subject_id).original_name + ":" + j.kind
        for j in Job.objects.all()
    }
    assert kinds == {
        f"{m.H264}:media.thumbnail",
        f"{m.HEVC}:media.thumbnail",
        f"{m.HEVC}:media.proxy",
    }


@pytest.mark.database_specific  # claimed by a conditional UPDATE
def test_a_job_can_be_claimed_by_one_worker_only(hevc_recording):
    job = _proxy_job(hevc_recording)
    assert jobs.claim(job.pk, "host-a:1:1")
    assert not jobs.claim(job.pk, "host-b:2:1")
    job.refresh_from_db()
    assert job.worker == "host-a:1:1" and job.attempts == 1 and job.state == JobState.RUNNING


@pytest.mark.database_specific  # leases judged by the database's clock
def test_an_expired_lease_is_reaped_and_the_job_runs_again(hevc_recording):
    job = _proxy_job(hevc_recording)
    assert jobs.claim(job.pk, "dead-host:1:1")
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert jobs.reap() >= 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "dead-host" in job.error
    assert jobs.run(job.pk) == JobState.DONE
    job.refresh_from_db()
    hevc_recording.refresh_from_db()
    assert job.attempts == 2 and job.state == JobState.DONE
    assert hevc_recording.status == RecordingStatus.READY


@pytest.mark.database_specific  # leases judged by the database's clock
def test_a_live_lease_is_not_taken_over(hevc_recording):
    job = _proxy_job(hevc_recording)
    assert jobs.claim(job.pk, "alive:1:1")
    assert jobs.reap() == 0
    assert jobs.run(job.pk) == "skipped"


def test_a_failing_job_is_retried_then_marked_failed(hevc_recording, settings, isolated_store):
    job = _proxy_job(hevc_recording)
    Job.objects.filter(pk=job.pk).update(max_attempts=2)
    original = isolated_store / hevc_recording.storage_key
    original.chmod(0o000)  # unreadable for a non-root worker; also make decoding fail for root:
    Recording.objects.filter(pk=hevc_recording.pk).update(storage_key="originals/00/00/" + "0" * 64)
    assert jobs.run(job.pk) == JobState.QUEUED
    assert jobs.run(job.pk) == JobState.FAILED
    job.refresh_from_db()
    hevc_recording.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 2 and "Error" in job.error
    assert hevc_recording.status == RecordingStatus.FAILED
    assert jobs.run(job.pk) == "skipped"  # no third attempt


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_extends_the_lease_while_a_job_runs(hevc_recording, settings, monkeypatch):
    settings.AVRECORDS_JOB_LEASE_SECONDS = 2
    job = _proxy_job(hevc_recording)
    seen = []

    def slow(job_row):
        first = Job.objects.get(pk=job_row.pk).lease_until
        time.sleep(1.5)
        seen.append((first, Job.objects.get(pk=job_row.pk).lease_until))

    monkeypatch.setitem(jobs._HANDLERS, "media.proxy", slow)
    assert jobs.run(job.pk) == JobState.DONE
    first, later = seen[0]
    assert later > first


@pytest.mark.slow
def test_a_worker_killed_mid_job_has_its_job_rerun_by_another(tmp_path):
    cli = CliHome(
        tmp_path / "home",
        database_url=backends.same_engine_database("sigkill", migrated=True),
        migrated=True,
        AVRECORDS_JOB_LEASE_SECONDS="3",
        AVRECORDS_JOB_REAP_SECONDS="1",
    )
    camera = tmp_path / "CAMERA"
    camera.mkdir()
    # 20 s of 640x360 HEVC: the proxy takes over a second to make (15+ polls of 50 ms), so the
    # kill lands mid-job; the asserted ("running", 1) and no proxy.mp4 would show it did not.
    media.make_video(camera / m.HEVC, seconds=20, codec="hevc", width=640, height=360)
    code, report = cli.ingest(camera)
    assert code == 0 and report["counts"]["imported"] == 1
    rec_id = report["files"][0]["recording_id"]

    first = cli.popen("worker", "--threads", "1", stdout=open(tmp_path / "w1.log", "w"), stderr=-2)
    deadline = time.monotonic() + 60
    running = []
    while time.monotonic() < deadline and not running:
        running = cli.query(
            "SELECT worker FROM jobs_job WHERE kind='media.proxy' AND state='running'"
        )
        time.sleep(0.05)
    assert running, "the first worker never started the proxy job"
    assert f":{first.pid}:" in running[0][0]
    first.send_signal(signal.SIGKILL)
    first.wait()
    state = cli.query("SELECT state, attempts FROM jobs_job WHERE kind='media.proxy'")[0]
    assert state == ("running", 1)  # dead worker's lease still pending; nothing finished
    assert not list(cli.home.joinpath("derived").rglob("proxy.mp4"))

    second = cli.popen("worker", "--threads", "1", stdout=open(tmp_path / "w2.log", "w"), stderr=-2)
    try:
        deadline = time.monotonic() + 120
        row = None
        while time.monotonic() < deadline:
            row = cli.query(
                "SELECT state, attempts, worker FROM jobs_job WHERE kind='media.proxy'"
            )[0]
            if row[0] in ("done", "failed"):
                break
            time.sleep(0.05)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert row[0] == "done" and row[1] == 2 and f":{second.pid}:" in row[2]
    assert cli.query("SELECT status FROM recordings_recording WHERE id=?", (rec_id,)) == [
        ("ready",)
    ]
    proxies = list(cli.home.joinpath("derived").rglob("proxy.mp4"))
    assert len(proxies) == 1
    import av

    with av.open(str(proxies[0])) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.duration / 1e6 == pytest.approx(20, abs=1)


@pytest.mark.database_specific  # leases judged by the database's clock
def test_a_worker_whose_clock_runs_ahead_cannot_take_a_live_lease(hevc_recording, monkeypatch):
    job = _proxy_job(hevc_recording)
    assert jobs.claim(job.pk, "host-a:1:1")
    ahead = timezone.now() + dt.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: ahead)  # host B's clock is an hour fast
    assert not jobs.claim(job.pk, "host-b:2:1")  # leases are judged by the database's clock
    assert jobs.reap() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_job_have_exactly_one_winner(org):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    rows = [
        Job.objects.create(kind="media.thumbnail", subject_type="t", subject_id=i)
        for i in range(10)
    ]
    barrier = threading.Barrier(4)

    def claim_all(n: int) -> list[int]:
        try:
            barrier.wait()
            return [row.pk for row in rows if jobs.claim(row.pk, f"host-{n}:1:1")]
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        won = [pk for result in pool.map(claim_all, range(4)) for pk in result]
    assert sorted(won) == sorted(row.pk for row in rows)  # each job once, none lost
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}


def test_a_message_that_cannot_be_sent_is_left_to_the_reaper(
    hevc_recording, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from avrecords.lib import huey_tasks

    def queue_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(huey_tasks, "run_django_task", queue_down)  # the Huey enqueue
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("media.thumbnail", "recordings.recording", hevc_recording.pk)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.sent_at is not None  # re-sent after one lease
    assert f"job {job.pk}: queue unavailable (ConnectionError" in caplog.text


# --- periodic steps (the worker names no app) ----------------------------------------------


def test_every_app_registers_its_periodic_steps():
    assert set(periodic.registered()) == {
        "audit.anchor",
        "compliance.escalate_overdue",
        "fixity.sweep",
        "recordings.expire_resumable",  # unfinished uploads past their expiry (issue 19 §3)
        "retention.daily",
        "stations.silence",  # a station gone silent told to its 负责人 (issue 19 §4)
        "supervision.clearance_overdue",
    }


def test_a_failing_periodic_step_is_logged_and_the_others_still_run(monkeypatch, caplog):
    ran = []

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(periodic, "_STEPS", {"a": broken, "b": lambda: ran.append("b")})
    periodic.run_all()
    assert ran == ["b"] and "periodic step a failed" in caplog.text


def test_a_database_outage_stops_the_pass_so_the_worker_waits(monkeypatch):
    ran = []

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(periodic, "_STEPS", {"a": down, "b": lambda: ran.append("b")})
    with pytest.raises(OperationalError):
        periodic.run_all()
    assert ran == []
