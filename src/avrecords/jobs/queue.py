"""The transport of job messages (Huey on SQLite, Redis or PostgreSQL): preparing and sending.

Job rows in the database are the truth; a message only says "look at job N". A message that
cannot be sent (queue server down) is therefore logged and left to the reaper, which re-sends
queued jobs whose message is older than one lease (issue 3 §3).
"""

from __future__ import annotations

import logging

import psycopg
from huey.contrib.djhuey import HUEY
from huey.storage import PostgresStorage

log = logging.getLogger("avrecords.jobs")

# Serialises the CREATE TABLE IF NOT EXISTS of workers starting at the same moment, which
# PostgreSQL would otherwise let collide on its catalog.
_DDL_LOCK_KEY = 7_305_118_224
#: What `prepare` raises while a PostgreSQL queue server is unreachable.
QUEUE_UNAVAILABLE = (psycopg.OperationalError,)


def prepare() -> None:
    """Create the queue's tables when the queue is on PostgreSQL (idempotent, concurrent-safe)."""
    storage = HUEY.storage
    if not isinstance(storage, PostgresStorage):
        return  # SQLite creates its tables on open; Redis needs none
    with storage.db(commit=True, close=True) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
        for statement in storage.ddl:
            cursor.execute(statement)


def send(job_id: int) -> bool:
    """Hand job `job_id` to the queue; False (logged) if the queue is unreachable."""
    from avrecords.jobs.tasks import run_job

    if HUEY.immediate:
        run_job.enqueue(job_id)  # runs here and now; its errors are the caller's
        return True
    try:
        run_job.enqueue(job_id)
    except Exception as exc:  # redis/psycopg/sqlite errors alike: the row is safe, retry later
        log.warning(
            "job %s: queue unavailable (%s: %s); the reaper will re-send it",
            job_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True
