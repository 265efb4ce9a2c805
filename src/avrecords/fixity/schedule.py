"""Enqueue the periodic fixity sweep (M2), at most once per interval across every worker.

`avrecords worker` calls enqueue_due_sweep() from its reaper thread. Time is cut into slots
of AVRECORDS_FIXITY_INTERVAL_SECONDS counted from the Unix epoch; the first worker to insert
a slot's SweepSlot row (unique) enqueues that slot's sweep, every other insert fails and
does nothing. While an earlier sweep is still queued or running no slot is taken, so the
next sweep follows as soon as it ends rather than piling up behind it.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from avrecords.fixity import conf
from avrecords.fixity.jobs import SWEEP_JOB
from avrecords.fixity.models import SweepSlot
from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job, JobState

log = logging.getLogger(__name__)


def current_slot(now=None, interval_seconds: int | None = None) -> int:
    interval = interval_seconds or conf.INTERVAL_SECONDS
    return int((now or timezone.now()).timestamp() // interval)


def enqueue_due_sweep(now=None) -> Job | None:
    """Enqueue this interval's sweep unless some worker already did; returns the new job."""
    interval = conf.INTERVAL_SECONDS
    slot = current_slot(now, interval)
    if SweepSlot.objects.filter(slot=slot).exists():
        return None
    if Job.objects.filter(kind=SWEEP_JOB, state__in=[JobState.QUEUED, JobState.RUNNING]).exists():
        return None
    payload = {
        "max_bytes": conf.BATCH_BYTES or None,
        "max_seconds": interval * conf.SWEEP_TIME_SHARE,
        "rate_bytes_per_second": conf.RATE_MB_S * conf.MB,
    }
    me = jobs.worker_id()
    try:
        with transaction.atomic():
            row = SweepSlot.objects.create(slot=slot, interval_seconds=interval, enqueued_by=me)
            job = jobs.enqueue(SWEEP_JOB, "fixity.slot", slot, payload)
            row.job = job
            row.save(update_fields=["job"])
    except IntegrityError:  # another worker took this slot first
        return None
    log.info("fixity sweep for slot %s enqueued as job %s", slot, job.pk)
    return job
