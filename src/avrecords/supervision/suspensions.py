"""Suspensions from enforcement (S5, 001§28(3) 停止执法工作一个月): an approved decision whose
`suspend_months` > 0 bars the person from being issued a device (equipment.custody) and from
taking part in an activity (compliance.activities) for its duration.

Supervision decides the period (`until`, `impose`, called when the leader approves) and
writes it as the person's `org.Suspension`, which those lower apps read through
`org.suspensions` without knowing who decided; the decision points at it. The functions here
answer with the decision.

The period is in calendar months and counts the approval day as its first day; its last day
(`suspended_until`, inclusive) is the day before the same day of the month `months` later:
approved 2026-12-02 for one month → suspended 2026-12-02 to 2027-01-01, free again on
2027-01-02. Where that month has no such day, the suspension runs to its last day
(2027-01-31 + 1 month → 2027-02-28), as 民法典第二百零二条 counts a month without a
corresponding day."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from avrecords.org import suspensions as periods
from avrecords.org.models import Suspension
from avrecords.supervision.models import Accountability, DecisionStatus


def until(start: dt.date, months: int) -> dt.date:
    """The last day (inclusive) of a suspension of `months` months beginning on `start`."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def impose(decision: Accountability) -> Suspension:
    """The approved decision's suspension, from today for its months (inside the approval's
    transaction; the caller saves the decision, which points at it)."""
    start = timezone.localdate()
    basis = "，".join(filter(None, (decision.decision_name, decision.cite)))
    decision.suspension = periods.record(
        decision.person, start, until(start, decision.suspend_months), basis
    )
    return decision.suspension


def _suspensions() -> QuerySet[Accountability]:
    return Accountability.objects.filter(
        status=DecisionStatus.APPROVED, suspension__isnull=False
    ).select_related("person", "suspension")


def in_force(at: dt.date | dt.datetime | None = None) -> QuerySet[Accountability]:
    """Every suspending decision in force on a day (today by default)."""
    return _suspensions().filter(suspension__in=periods.in_force(at))


def suspended_during(user, start, end) -> Accountability | None:
    """The decision (the one ending last) suspending the user on any day from `start` to
    `end`."""
    first, last = periods.day_of(start), periods.day_of(end)
    return (
        _suspensions()
        .filter(person_id=user.pk, suspension__starts_on__lte=last, suspension__ends_on__gte=first)
        .order_by("-suspension__ends_on", "-pk")
        .first()
    )


def suspended(user, at: dt.date | dt.datetime | None = None) -> Accountability | None:
    """The decision suspending the user at `at` (a day or a moment; now by default), if any."""
    return suspended_during(user, at, at)


def describe(decision: Accountability) -> str:
    """ "张伟 被停止执法工作至 2027-01-01（停止执法工作一个月，001§28(3)）"."""
    return periods.describe(decision.suspension)
