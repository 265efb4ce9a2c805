"""Is this person suspended from enforcement work (S5; chengde 001§28(3))?

The periods are `org.Suspension` rows. Supervision decides them (an approved accountability
decision that suspends, `supervision.suspensions`) and writes them with `record()`; the
apps that must refuse a suspended person read them here without knowing who decided:
equipment issues him no device, compliance names him on no activity.

A day is a local calendar day; a moment is judged by the local day it falls on.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from avrecords.org.models import Suspension


def day_of(at: dt.date | dt.datetime | None) -> dt.date:
    """The local day of a moment (today when None); a date is itself."""
    if at is None:
        return timezone.localdate()
    if isinstance(at, dt.datetime):
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return at


def record(person, starts_on: dt.date, ends_on: dt.date, basis: str) -> Suspension:
    """Write a suspension (inside the decider's transaction, with its audit entry)."""
    return Suspension.objects.create(
        person=person, starts_on=starts_on, ends_on=ends_on, basis=basis[:200]
    )


def in_force(at: dt.date | dt.datetime | None = None) -> QuerySet[Suspension]:
    """Every suspension in force on a day (today by default)."""
    day = day_of(at)
    return Suspension.objects.filter(starts_on__lte=day, ends_on__gte=day)


def suspended_during(person, start, end) -> Suspension | None:
    """The person's suspension (the one ending last) on any day from `start` to `end`."""
    first, last = day_of(start), day_of(end)
    return (
        Suspension.objects.filter(person_id=person.pk, starts_on__lte=last, ends_on__gte=first)
        .select_related("person")
        .order_by("-ends_on", "-pk")
        .first()
    )


def suspended(person, at: dt.date | dt.datetime | None = None) -> Suspension | None:
    """The person's suspension in force at `at` (a day or a moment; now by default), if any."""
    return suspended_during(person, at, at)


def describe(suspension: Suspension) -> str:
    """ "张伟 被停止执法工作至 2027-01-01（停止执法工作一个月，001§28(3)）"."""
    return (
        f"{suspension.person.display_name} 被停止执法工作至 "
        f"{suspension.ends_on:%Y-%m-%d}（{suspension.basis}）"
    )
