"""Issue 3, "Database down": workers back off and wait instead of crashing, then carry on."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest
from django.db import OperationalError

from avrecords.jobs import dbwait, services
from avrecords.jobs.models import Job
from tests import backends
from tests.probe_worker import read_traces
from tests.tcpgate import Gate, free_port
from tests.workers import SharedInstallation, pid_of, wait_until

AVRECORDS = [sys.executable, "-m", "avrecords.cli"]


def test_the_backoff_doubles_up_to_its_cap():
    backoff = dbwait.Backoff(cap_seconds=5)
    assert [backoff.next_delay() for _ in range(5)] == [1, 2, 4, 5, 5]


def test_a_failing_step_is_retried_until_the_database_answers(monkeypatch, caplog):
    monkeypatch.setattr(dbwait, "FIRST_RETRY_SECONDS", 0.01)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("connection refused")
        return "ok"

    assert dbwait.call_with_retry(flaky) == "ok" and len(calls) == 3
    assert "database unavailable during flaky" in caplog.text
    assert "database available again: flaky succeeded after 2 failed attempts" in caplog.text


def test_waiting_gives_up_when_the_worker_stops(monkeypatch):
    stop = threading.Event()
    stop.set()

    def down():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        dbwait.call_with_retry(down, stop=stop)


@pytest.mark.django_db(transaction=True)
def test_a_missed_heartbeat_is_logged_and_the_next_one_extends_the_lease(caplog):
    job = Job.objects.create(kind="media.thumbnail", subject_type="test", subject_id="1")
    assert services.claim(job.pk, "host-a:1:1")
    before = Job.objects.get(pk=job.pk).lease_until
    heartbeat = services._Heartbeat(job.pk, "host-a:1:1")
    with backends.database_down():
        heartbeat.beat()  # must not raise: that would end the heartbeat thread for good
    assert f"job {job.pk}: heartbeat failed" in caplog.text
    heartbeat.beat()
    assert Job.objects.get(pk=job.pk).lease_until > before


@pytest.mark.slow
def test_a_worker_whose_database_is_unreachable_stays_up_and_backs_off(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AVRECORDS_")},
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
        "DATABASE_URL": f"postgresql://avrecords@127.0.0.1:{free_port()}/avrecords",
        "AVRECORDS_DB_RETRY_MAX_SECONDS": "2",
        "AVRECORDS_JOB_REAP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [*AVRECORDS, "worker"], env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT
    )
    try:
        wait_until(lambda: "retry 4 in" in log_path.read_text(), 30, "four retries")
        assert worker.poll() is None, log_path.read_text()  # still running
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    log = log_path.read_text()
    delays = [
        float(d) for d in re.findall(r"database unavailable .*?; retry \d+ in ([\d.]+) s", log)
    ]
    assert delays[:4] == [1.0, 2.0, 2.0, 2.0]  # exponential, capped at 2 s here
    assert "Connection refused" in log and "Traceback" not in log
    assert code == 0  # SIGTERM still stops it cleanly while it waits


@pytest.fixture
def gated(tmp_path):
    """An installation whose workers reach PostgreSQL only through a gate, closed at first."""
    if backends.run_engine() != "postgresql":
        pytest.skip("needs a PostgreSQL server: runs in the PostgreSQL pass")
    installation = SharedInstallation(tmp_path, "sqlite")
    db = backends.server_url()
    host, port = db.split("@")[-1].split("/")[0].rsplit(":", 1)
    gate = Gate((host, int(port)))
    gated_url = installation.url.replace(f"{host}:{port}", f"127.0.0.1:{gate.port}")
    yield installation, gate, gated_url
    installation.close()
    gate.close()


@pytest.mark.slow
def test_a_worker_resumes_when_the_database_returns(gated):
    installation, gate, gated_url = gated
    (worker,) = installation.start_workers(
        1, DATABASE_URL=gated_url, AVRECORDS_DB_RETRY_MAX_SECONDS="2"
    )
    # The job row is written directly; its message reaches the worker through the queue file.
    (job_id,) = installation.enqueue(1, seconds=0.1)
    wait_until(
        lambda: "database unavailable during claim" in worker.log_path.read_text(),
        30,
        "the worker to wait for the database before claiming",
    )
    assert worker.poll() is None
    assert installation.jobs([job_id])[job_id][:2] == ("queued", 0)

    gate.open()
    wait_until(lambda: installation.jobs([job_id])[job_id][0] == "done", 30, "the job to run")
    state, attempts, worker_id = installation.jobs([job_id])[job_id]
    assert (attempts, pid_of(worker_id)) == (1, worker.pid)
    assert read_traces(installation.traces)[job_id] == [(worker.pid, "start"), (worker.pid, "end")]
    assert "database available again" in worker.log_path.read_text()
