"""The `fixity.sweep` job (M2): one scheduled sweep, run by whichever worker claims it."""

from __future__ import annotations

from avrecords.jobs.models import Job
from avrecords.jobs.services import handler

SWEEP_JOB = "fixity.sweep"


@handler(SWEEP_JOB)
def run_sweep(job: Job) -> None:
    from avrecords.fixity.sweep import sweep

    payload = job.payload or {}
    sweep(
        max_bytes=payload.get("max_bytes") or None,
        max_seconds=payload.get("max_seconds"),
        rate_bytes_per_second=payload.get("rate_bytes_per_second"),
    )
