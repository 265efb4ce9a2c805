"""Retention's background work (M5): the daily sweep and the nightly store check.

`enqueue_daily()` is called by every worker's reaper; the first worker past
AVRECORDS_RETENTION_DAILY_HOUR each day to insert that day's `DailyRun` row enqueues the
job, every other insert fails and does nothing. The daily job classifies recordings not yet
classified, re-checks those due, and makes the day's disposal lists; the store check
compares every computed date with the store's locks (`retention.storesync`)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job
from avrecords.retention import purge  # noqa: F401  (registers retention.purge)
from avrecords.retention.models import DailyRun

log = logging.getLogger(__name__)
DAILY_JOB = "retention.daily"
STORE_CHECK_JOB = "retention.store_check"
CLASSIFY_BATCH = 2000


def classify_unclassified() -> int:
    from avrecords.retention.services import reclassify, unclassified

    done = 0
    while ids := list(unclassified(CLASSIFY_BATCH)):
        rows = reclassify(ids, why="首次确定保存期限")
        done += len(ids)
        if not rows:  # none of these has a profile: they stay unclassified, stop here
            break
    return done


@jobs.handler(DAILY_JOB)
def run_daily(job: Job) -> None:
    from avrecords.retention.disposal import make_lists

    classified = classify_unclassified()
    made = make_lists()
    log.info("retention daily: %d classified, %d disposal lists", classified, len(made))


@jobs.handler(STORE_CHECK_JOB)
def run_store_check(job: Job) -> None:
    from avrecords.retention.storesync import check_all

    check_all()


def enqueue_daily(now=None) -> list[Job]:
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.AVRECORDS_RETENTION_DAILY_HOUR:
        return []
    made = []
    for kind in (DAILY_JOB, STORE_CHECK_JOB):
        if DailyRun.objects.filter(kind=kind, day=now.date()).exists():
            continue
        try:
            with transaction.atomic():
                run = DailyRun.objects.create(kind=kind, day=now.date())
                run.job = jobs.enqueue(kind, "retention.day", now.date().isoformat())
                run.save(update_fields=["job"])
        except IntegrityError:  # another worker was first today
            continue
        made.append(run.job)
    return made
