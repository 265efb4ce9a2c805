"""When a recording must be in central storage (M1), by the unit's profile.

The rules of the five regulations:

- ``hours``: within N hours of the end of the recording (lingchuan 002§15 24 h after the
  activity; fuzhou 004§17 24 h);
- ``working_days``: by the end of the Nth working day after the day it was made (tongbai
  000§17: 2 working days; the day itself does not count, holidays and adjusted working
  weekends follow the official calendar, `lib/workdays.py`);
- ``same_day``: by the end of that day (chengde 001§19 当天执法活动结束后第一时间);
- ``after_activity``: after each activity, within N hours' grace (zhanhe 003§13).

A field trip (连续工作、异地执法、偏远地区) moves the deadline to N hours after the return to
the unit, if that is later. An extension granted by the unit head (fuzhou 004§17: 2 working
days, never for disputes or sudden incidents) replaces the rule by the extension's.
Days are local days in ``TIME_ZONE`` (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from avrecords.lib.refusals import Conflict
from avrecords.lib.workdays import Calendar
from avrecords.policies.schema import Activity, Deadline, DeadlineRule, Profile


class ExtensionRefused(Conflict, ValueError):
    """The profile grants no extension, or not for this activity (409)."""


@dataclass(frozen=True)
class Due:
    """A deadline with the rule and article it comes from, and a warning when guessed."""

    at: dt.datetime
    rule: str  # in Chinese, e.g. "记录作出之日起2个工作日内"
    cite: str
    warning: str = ""  # e.g. 2027 has no holiday data: weekends only


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _end_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=_zone())


def describe(deadline: Deadline) -> str:
    match deadline.rule:
        case DeadlineRule.HOURS:
            return f"结束后{deadline.amount}小时内"
        case DeadlineRule.WORKING_DAYS:
            return f"记录作出之日起{deadline.amount}个工作日内"
        case DeadlineRule.SAME_DAY:
            return "当天"
        case DeadlineRule.AFTER_ACTIVITY:
            return f"每次执法活动结束后（{deadline.amount}小时内）"
    raise AssertionError(deadline.rule)


def apply_rule(deadline: Deadline, ended_at: dt.datetime, calendar: Calendar) -> dt.datetime:
    if ended_at.tzinfo is None:
        raise ValueError("ended_at must carry a time zone")
    local_day = ended_at.astimezone(_zone()).date()
    match deadline.rule:
        case DeadlineRule.HOURS | DeadlineRule.AFTER_ACTIVITY:
            return ended_at + dt.timedelta(hours=deadline.amount)
        case DeadlineRule.WORKING_DAYS:
            return _end_of_local_day(calendar.nth_working_day_after(local_day, deadline.amount))
        case DeadlineRule.SAME_DAY:
            return _end_of_local_day(local_day)
    raise AssertionError(deadline.rule)


def ingest_due(
    profile: Profile,
    ended_at: dt.datetime,
    calendar: Calendar,
    *,
    returned_at: dt.datetime | None = None,
    extended: bool = False,
    activity: Activity | None = None,
    dispute: bool = False,
) -> Due:
    """The moment by which a recording that ended at `ended_at` must be stored."""
    rule = profile.ingest.deadline
    if extended:
        extension = profile.ingest.extension
        if extension is None:
            raise ExtensionRefused(f"策略“{profile.name}”没有延长存储期限的规定")
        if "dispute" in extension.not_for and dispute:
            raise ExtensionRefused(
                f"现场发生纠纷冲突或突发事件，不得延长存储期限（{extension.cite}）"
            )
        if activity is not None and "dispute_prone" in extension.not_for and activity.dispute_prone:
            raise ExtensionRefused(
                f"“{activity.name}”属于容易引发争议的执法活动，不得延长存储期限（{extension.cite}）"
            )
        rule = extension
    at = apply_rule(rule, ended_at, calendar)
    text, cite = describe(rule), rule.cite
    trip = profile.ingest.field_trip
    if returned_at is not None and trip is not None:
        after_return = returned_at + dt.timedelta(hours=trip.hours_after_return)
        if after_return > at:
            at, text, cite = after_return, f"返回单位后{trip.hours_after_return}小时内", trip.cite
    warning = ""
    if rule.rule == DeadlineRule.WORKING_DAYS:
        first = ended_at.astimezone(_zone()).year
        if guessed := [y for y in range(first, at.year + 1) if calendar.source(y) == "weekends"]:
            years = "、".join(str(y) for y in guessed)
            warning = f"{years}年的节假日安排尚未录入，暂按周一至周五为工作日计算"
    return Due(at, text, cite, warning)
