"""Issue 3 §3: two `avrecords worker` processes share one queue and one PostgreSQL database.

They split the work, every job runs exactly once, and the job of a worker killed with SIGKILL
mid-job is run again by the other once its lease has expired. Both shared transports are
tried: Redis, and PostgreSQL itself (Huey's PostgreSQL storage). The probe jobs
(tests/probe_worker.py) count their own executions in trace files, independently of the job
rows. Runs in the PostgreSQL pass of `make test`.
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest

from tests import backends
from tests.probe_worker import read_traces
from tests.workers import LEASE_SECONDS, SharedInstallation, pid_of, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["redis", "postgresql"], ids=["redis", "postgresql"])
def installation(request, tmp_path_factory):
    """One shared installation per transport: a fresh database and a queue of its own."""
    if backends.run_engine() != "postgresql":
        pytest.skip("needs PostgreSQL as the shared database: runs in the PostgreSQL pass")
    if request.param == "redis":
        backends.require_redis()
    shared = SharedInstallation(tmp_path_factory.mktemp(f"{request.param}-queue"), request.param)
    yield shared
    shared.close()


@pytest.fixture
def shared(installation):
    yield installation
    installation.stop_workers()


def test_two_workers_split_the_jobs_and_each_job_runs_once(shared):
    first, second = shared.start_workers(2)
    ids = shared.enqueue(12, seconds=0.3)

    wait_until(lambda: {row[0] for row in shared.jobs(ids).values()} == {"done"}, 90, "jobs done")
    traces = read_traces(shared.traces)
    assert set(ids) <= set(traces)
    for job_id in ids:
        assert [event for _, event in traces[job_id]] == ["start", "end"], traces[job_id]
    per_worker = Counter(traces[job_id][0][0] for job_id in ids)
    assert set(per_worker) == {first.pid, second.pid}, per_worker  # both did work
    for job_id, (state, attempts, worker) in shared.jobs(ids).items():
        assert (state, attempts) == ("done", 1)
        assert pid_of(worker) == traces[job_id][0][0]  # the row agrees with the trace


def test_a_job_of_a_worker_killed_mid_job_is_rerun_by_the_other(shared):
    workers = shared.start_workers(2)
    ids = shared.enqueue(1, seconds=120, retry_seconds=0.2)
    (job_id,) = ids

    wait_until(lambda: read_traces(shared.traces).get(job_id), 60, "the job to start")
    victim_pid = read_traces(shared.traces)[job_id][0][0]
    victim = next(w for w in workers if w.pid == victim_pid)
    survivor = next(w for w in workers if w is not victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = time.monotonic()
    state, attempts, worker = shared.jobs(ids)[job_id]
    assert (state, attempts, pid_of(worker)) == ("running", 1, victim_pid)

    wait_until(lambda: shared.jobs(ids)[job_id][0] == "done", 60, "the re-run to finish")
    waited = time.monotonic() - killed_at
    state, attempts, worker = shared.jobs(ids)[job_id]
    assert (state, attempts, pid_of(worker)) == ("done", 2, survivor.pid)
    assert read_traces(shared.traces)[job_id] == [
        (victim_pid, "start"),
        (survivor.pid, "start"),
        (survivor.pid, "end"),
    ]
    assert waited < LEASE_SECONDS + 30
    assert "expired, re-queued" in survivor.log_path.read_text()
