"""Enqueue, claim, run and reap jobs.

A worker claims a job with one conditional UPDATE (queued, or running with an expired
lease), so several workers on several hosts can be pointed at the same queue and each
job runs once at a time. While it runs, a heartbeat thread extends the lease; a worker
killed mid-job stops heart-beating, its lease expires, and the reaper queues the job again.

Leases are stamped and compared with the database's clock (`Now()`), not the worker's, so
workers on hosts whose clocks disagree never steal each other's live jobs (issue 3 §3). If the
database is unreachable, the bookkeeping steps back off and retry (`dbwait`) instead of
losing the job or crashing the worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from avrecords.jobs.dbwait import DB_UNAVAILABLE, call_with_retry, describe
from avrecords.jobs.models import Job, JobState

log = logging.getLogger(__name__)
Handler = Callable[[Job], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return register


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_seconds() -> int:
    return settings.AVRECORDS_JOB_LEASE_SECONDS


def _lease_end():
    """The end of a lease that starts now, by the database's clock."""
    return Now() + timedelta(seconds=lease_seconds())


def _send(job_id: int) -> None:
    # The queue (Huey, and redis and psycopg through it) loads with the first message, not in
    # every command's set-up (issue 22 §1).
    from avrecords.jobs import queue

    Job.objects.filter(pk=job_id).update(sent_at=Now())
    queue.send(job_id)


def enqueue(kind: str, subject_type: str, subject_id, payload: dict | None = None) -> Job:
    """Create the job row now; the queue message is sent once the caller's transaction commits."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload or {},
        max_attempts=settings.AVRECORDS_JOB_MAX_ATTEMPTS,
    )
    transaction.on_commit(lambda: _send(job.pk))
    return job


def claim(job_id: int, me: str) -> bool:
    """One conditional UPDATE: of any number of workers trying at once, exactly one wins."""
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, lease_until__lt=Now())
    updated = (
        Job.objects.filter(pk=job_id, attempts__lt=F("max_attempts"))
        .filter(claimable)
        .update(
            state=JobState.RUNNING,
            worker=me,
            attempts=F("attempts") + 1,
            started_at=Now(),
            heartbeat_at=Now(),
            lease_until=_lease_end(),
        )
    )
    return updated == 1


class _Heartbeat(threading.Thread):
    def __init__(self, job_id: int, me: str) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id, self.me = job_id, me
        self.stop_event = threading.Event()

    def run(self) -> None:
        interval = max(lease_seconds() / 3, 0.5)
        try:
            while not self.stop_event.wait(interval):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        # A missed beat is not fatal: the next one may get through before the lease ends.
        # A heartbeat thread that died on the first blip would let the reaper hand a live
        # job to a second worker.
        try:
            Job.objects.filter(pk=self.job_id, worker=self.me, state=JobState.RUNNING).update(
                heartbeat_at=Now(), lease_until=_lease_end()
            )
        except DB_UNAVAILABLE as exc:
            log.warning("job %s: heartbeat failed (%s); will retry", self.job_id, describe(exc))
            connection.close()


def _load(job_id: int) -> Job:
    return Job.objects.get(pk=job_id)


def _settle(job_id: int, me: str, **fields) -> None:
    """Record the outcome of this worker's attempt (no-op if the job was taken over)."""

    def settle() -> None:
        Job.objects.filter(pk=job_id, worker=me).update(**fields)

    call_with_retry(settle)


def run(job_id: int) -> str:
    """Claim and run one job; returns the state it ended in (or 'skipped' if not claimable)."""
    me = worker_id()
    if not call_with_retry(claim, job_id, me):
        return "skipped"
    job = call_with_retry(_load, job_id)
    func = _HANDLERS.get(job.kind)
    beat = _Heartbeat(job_id, me)
    beat.start()
    try:
        if func is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        func(job)
    except Exception as exc:  # the job failed; record why and decide on a retry
        log.exception("job %s (%s) failed on attempt %s", job.pk, job.kind, job.attempts)
        final = job.attempts >= job.max_attempts
        _settle(
            job_id,
            me,
            state=JobState.FAILED if final else JobState.QUEUED,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}",
            lease_until=None,
            finished_at=timezone.now() if final else None,
        )
        if not final:
            transaction.on_commit(lambda: call_with_retry(_send, job_id))
        return JobState.FAILED if final else JobState.QUEUED
    finally:
        beat.stop_event.set()
        beat.join()
    _settle(job_id, me, state=JobState.DONE, finished_at=timezone.now(), lease_until=None, error="")
    return JobState.DONE


def reap() -> int:
    """Queue again jobs whose worker died (lease expired) or whose message was lost."""
    lease = timedelta(seconds=lease_seconds())
    resent = 0
    expired = Q(state=JobState.RUNNING, lease_until__lt=Now())
    for job in Job.objects.filter(expired):
        if job.attempts >= job.max_attempts:
            Job.objects.filter(expired, pk=job.pk).update(
                state=JobState.FAILED,
                finished_at=Now(),
                error=f"worker {job.worker} stopped responding on the last attempt",
            )
            continue
        if Job.objects.filter(expired, pk=job.pk).update(
            state=JobState.QUEUED, error=f"worker {job.worker} stopped responding; re-queued"
        ):
            log.warning("job %s: lease of worker %s expired, re-queued", job.pk, job.worker)
            _send(job.pk)
            resent += 1
    lost = Job.objects.filter(state=JobState.QUEUED).filter(
        Q(sent_at__isnull=True, created_at__lt=Now() - lease) | Q(sent_at__lt=Now() - lease)
    )
    for job_id in lost.values_list("pk", flat=True):
        _send(job_id)
        resent += 1
    return resent


def run_pending(limit: int | None = None) -> int:
    """Run queued jobs in this process (tests, demo, maintenance shell); returns how many ran."""
    ran = 0
    for job_id in Job.objects.filter(state=JobState.QUEUED).values_list("pk", flat=True)[:limit]:
        if run(job_id) != "skipped":
            ran += 1
    return ran
