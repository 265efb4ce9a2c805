"""Riding out a database outage in worker processes (issue 3, "Database down").

A worker must not crash or spin when PostgreSQL (or the SQLite file) is unreachable: every
database call of the job machinery goes through `call_with_retry`, which waits with an
exponential, capped backoff (logged in English) and carries on once the database answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

log = logging.getLogger("avrecords.worker")
T = TypeVar("T")

#: What a dropped connection, a refused connection or a server restart raise through Django.
DB_UNAVAILABLE = (OperationalError, InterfaceError)
FIRST_RETRY_SECONDS = 1.0
_process_stop: threading.Event | None = None


def stop_waiting_when(event: threading.Event) -> None:
    """Give up waiting (re-raise the error) once `event` is set: the worker is stopping."""
    global _process_stop
    _process_stop = event


class Backoff:
    """Delays of 1 s, 2 s, 4 s … up to AVRECORDS_DB_RETRY_MAX_SECONDS."""

    def __init__(self, cap_seconds: float | None = None) -> None:
        self.cap_seconds = float(cap_seconds or settings.AVRECORDS_DB_RETRY_MAX_SECONDS)
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(FIRST_RETRY_SECONDS * 2**self.failures, self.cap_seconds)
        self.failures += 1
        return delay


def _reset_connection() -> None:
    # A broken connection is never reused; Django opens a new one on the next query.
    try:
        connection.close()
    except DatabaseError:
        pass


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _pause(delay: float, stop: threading.Event | None) -> bool:
    """Sleep `delay` seconds; False if the worker started shutting down meanwhile."""
    stop = stop or _process_stop or threading.Event()
    return not stop.wait(delay)


def wait_for_database(stop: threading.Event | None = None) -> bool:
    """Block until a trivial query succeeds; False if `stop` was set while waiting."""
    try:
        call_with_retry(ping_database, stop=stop)
    except DB_UNAVAILABLE:
        return False
    return True


def ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def call_with_retry(
    func: Callable[..., T],
    *args,
    stop: threading.Event | None = None,
    errors: tuple[type[BaseException], ...] = DB_UNAVAILABLE,
) -> T:
    """Run one autocommit database step; if the database fails, back off and run it again.

    Only for steps that are safe to repeat (the conditional UPDATEs of the job machinery).
    Inside a transaction the error is re-raised: the whole transaction must be retried.
    If `stop` is set while waiting, the last error is re-raised.
    """
    backoff = Backoff()
    while True:
        try:
            result = func(*args)
        except errors as exc:
            if connection.in_atomic_block:
                raise
            _reset_connection()
            delay = backoff.next_delay()
            log.warning(
                "database unavailable during %s (%s); retry %d in %.1f s",
                func.__name__,
                describe(exc),
                backoff.failures,
                delay,
            )
            if not _pause(delay, stop):
                raise
            continue
        if backoff.failures:
            log.warning(
                "database available again: %s succeeded after %d failed attempts",
                func.__name__,
                backoff.failures,
            )
        return result
