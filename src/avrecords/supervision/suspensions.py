"""Suspensions from enforcement (S5, 001§28(3) 停止执法工作一个月): an approved decision whose
`suspend_months` > 0 bars the person from being issued a device (equipment.custody) and from
taking part in an activity (compliance.activities) for its duration.

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

from avrecords.supervision.models import Accountability, DecisionStatus


def until(start: dt.date, months: int) -> dt.date:
    """The last day (inclusive) of a suspension of `months` months beginning on `start`."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def _day(at: dt.date | dt.datetime | None) -> dt.date:
    if at is None:
        return timezone.localdate()
    if isinstance(at, dt.datetime):
        return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return at


def _suspensions() -> QuerySet[Accountability]:
    return Accountability.objects.filter(
        status=DecisionStatus.APPROVED,
        suspend_months__gt=0,
        suspended_from__isnull=False,
        suspended_until__isnull=False,
    ).select_related("person")


def in_force(at: dt.date | dt.datetime | None = None) -> QuerySet[Accountability]:
    """Every suspension in force on a day (today by default)."""
    day = _day(at)
    return _suspensions().filter(suspended_from__lte=day, suspended_until__gte=day)


def suspended_during(user, start, end) -> Accountability | None:
    """The suspension (the one ending last) of the user on any day from `start` to `end`."""
    first, last = _day(start), _day(end)
    return (
        _suspensions()
        .filter(person_id=user.pk, suspended_from__lte=last, suspended_until__gte=first)
        .order_by("-suspended_until", "-pk")
        .first()
    )


def suspended(user, at: dt.date | dt.datetime | None = None) -> Accountability | None:
    """The user's suspension in force at `at` (a day or a moment; now by default), if any."""
    return suspended_during(user, at, at)


def describe(decision: Accountability) -> str:
    """ "张伟 被停止执法工作至 2027-01-01（停止执法工作一个月，001§28(3)）"."""
    basis = "，".join(filter(None, (decision.decision_name, decision.cite)))
    return (
        f"{decision.person.display_name} 被停止执法工作至 "
        f"{decision.suspended_until:%Y-%m-%d}（{basis}）"
    )


def activity_refusals(officers, started_at, ended_at) -> list[str]:
    """compliance.activities.check: one error per officer suspended during the activity."""
    if started_at is None or ended_at is None:
        return []
    found = []
    for officer in officers:
        if (decision := suspended_during(officer, started_at, ended_at)) is not None:
            found.append(f"执法人员：{describe(decision)}，不能参加该执法活动")
    return found
