"""Periodic work: what every worker's reaper does besides re-queueing dead jobs (issue 16).

The worker names no app. Each app registers its own periodic step in its
`AppConfig.ready()`, and `avrecords worker` calls `run_all()` from its reaper thread every
AVRECORDS_JOB_REAP_SECONDS:

    from avrecords.jobs import periodic
    periodic.register("fixity.sweep", schedule.enqueue_due_sweep)   # in fixity/apps.py

A step takes no arguments, returns nothing anyone reads, and must be cheap when there is
nothing to do and safe when several workers run it at the same moment: each guards itself
with a unique row (fixity's SweepSlot, retention's DailyRun, audit's AnchorRun) or a
once-only key, and enqueues its real work as a job.

Steps run in the order they were registered (the order of INSTALLED_APPS). A step that
fails is logged and the others still run; a database outage stops the pass, so that the
worker waits for the database (`jobs.dbwait`) before the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from avrecords.jobs.dbwait import DB_UNAVAILABLE

log = logging.getLogger("avrecords.worker")
Step = Callable[[], object]
_STEPS: dict[str, Step] = {}


def register(name: str, step: Step) -> Step:
    """Run `step()` on every reaper pass; registering a name again replaces its step (an
    app's ready() may run more than once in tests)."""
    _STEPS[name] = step
    return step


def registered() -> dict[str, Step]:
    """The steps by name, in the order they run."""
    return dict(_STEPS)


def run_all() -> None:
    for name, step in list(_STEPS.items()):
        try:
            step()
        except DB_UNAVAILABLE:
            raise
        except Exception:
            log.exception("periodic step %s failed", name)
