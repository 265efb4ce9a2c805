"""The `compliance.evaluate` job: after a recording is ingested, link it to its activities and
re-evaluate them and it (U1, U2, M1). A job, so that a station's import is not slowed by it."""

from __future__ import annotations

from avrecords import events
from avrecords.jobs.models import Job
from avrecords.jobs.services import enqueue, handler

EVALUATE_JOB = "compliance.evaluate"


@handler(EVALUATE_JOB)
def run_evaluate(job: Job) -> None:
    from avrecords.compliance.engine import relinked
    from avrecords.recordings.models import Recording

    recording = Recording.objects.filter(pk=job.subject_id).select_related("unit").first()
    if recording is not None:
        relinked(recording)
        events.RECORDING_EVALUATED.send(recording=recording)  # M5: retention classifies it


REEVALUATE_JOB = "compliance.reevaluate_unit"
REEVALUATE_DAYS = 30  # a new profile applies to the last month's activities, not to history


def on_profile_assigned(unit, profile, actor) -> None:
    """events.PROFILE_ASSIGNED: findings follow the rules that now apply (X3 → U1–U7)."""
    enqueue(REEVALUATE_JOB, "unit", unit.pk)


def on_recording_stored(recording) -> None:
    """events.RECORDING_STORED: link the recording to its activities and raise what the
    profile says (U1, U2, M1), in the background."""
    enqueue("compliance.evaluate", "recording", recording.pk)


@handler(REEVALUATE_JOB)
def run_reevaluate(job: Job) -> None:
    """A unit's profile changed: re-evaluate the recent activities of its subtree (and their
    recordings) under the profile that now applies."""
    import datetime as dt

    from django.utils import timezone

    from avrecords.compliance.engine import evaluate_activity
    from avrecords.compliance.models import Activity
    from avrecords.org.models import Unit
    from avrecords.policies.services import calendar

    unit = Unit.objects.filter(pk=job.subject_id).first()
    if unit is None:
        return
    since = timezone.now() - dt.timedelta(days=REEVALUATE_DAYS)
    cal = calendar()
    recent = Activity.objects.filter(unit__path__startswith=unit.path, ended_at__gte=since)
    for activity in recent.select_related("unit").iterator():
        evaluate_activity(activity, cal)
