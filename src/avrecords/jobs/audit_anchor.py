"""The daily signed anchor of the audit chain (X1), as a background job.

It lives in the jobs app, not in audit: audit sits below jobs (docs/architecture.md), so the
jobs app wires audit's anchoring (`audit.anchors`) to its queue. `enqueue_daily()` is a
periodic step of every worker's reaper (`jobs.periodic`, registered in JobsConfig.ready());
the first worker past AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR each day to insert that day's
`AnchorRun` row enqueues the `audit.anchor` job, every other insert fails and does nothing.
The anchor file goes to AVRECORDS_AUDIT_ANCHOR_DIR on the host of the worker that runs it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from avrecords.audit import anchors
from avrecords.audit.models import AnchorRun
from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job

log = logging.getLogger(__name__)
ANCHOR_JOB = "audit.anchor"


@jobs.handler(ANCHOR_JOB)
def run_anchor(job: Job) -> None:
    # AnchorRefused fails the job: the error (and the log) says why, and the reaper retries.
    anchor = anchors.make_anchor("每日锚定")
    log.info("daily audit anchor written: %s", anchor.name)


def enqueue_daily(now=None) -> Job | None:
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR:
        return None
    if AnchorRun.objects.filter(day=now.date()).exists():
        return None
    try:
        with transaction.atomic():
            run = AnchorRun.objects.create(day=now.date())
            run.job = jobs.enqueue(ANCHOR_JOB, "audit.day", now.date().isoformat())
            run.save(update_fields=["job"])
    except IntegrityError:  # another worker was first today
        return None
    return run.job
