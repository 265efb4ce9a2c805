"""The `compliance.evaluate` job: after a recording is ingested, link it to its activities and
re-evaluate them and it (U1, U2, M1). A job, so that a station's import is not slowed by it."""

from __future__ import annotations

from avrecords.jobs.models import Job
from avrecords.jobs.services import handler

EVALUATE_JOB = "compliance.evaluate"


@handler(EVALUATE_JOB)
def run_evaluate(job: Job) -> None:
    from avrecords.compliance.engine import relinked
    from avrecords.recordings.models import Recording

    recording = Recording.objects.filter(pk=job.subject_id).select_related("unit").first()
    if recording is not None:
        relinked(recording)
