"""When a recording must be in central storage (M1), by the unit's profile.

The rules of the five regulations:

- ``hours``: within N hours (lingchuan 002§15: 24 h after the activity; fuzhou 004§17: 24 h);
- ``working_days``: by the end of the Nth working day after the day it was made (tongbai
  000§17: 2 working days; the day itself does not count, holidays and adjusted working
  weekends follow the official calendar, `lib/workdays.py`);
- ``same_day``: by the end of that day (chengde 001§19 当天执法活动结束后第一时间);
- ``after_activity``: after each activity, within N hours' grace (zhanhe 003§13).

Whose end starts the clock is the deadline's ``counted_from``: the file's end
(``recording_end``, the default) or the enforcement activity's (``activity_end``: 002§15
"执法结束后", 003§13 "每次执法活动结束后") — a camera splits one activity into several
files, and every one of them is due when the activity's information is due. The caller
(`compliance.engine`) picks that moment; here it is `ended_at`.

A field trip (连续工作、异地执法、偏远地区) moves the deadline to N hours after the return to
the unit, if that is later. An extension granted by the unit head (fuzhou 004§17: 2 working
days) replaces the rule by the extension's, except where a dispute or sudden incident
happened at that activity (``not_for: [dispute]``); for activity types prone to disputes the
consent page only warns (``warn_for: [dispute_prone]``): the article excludes no type.
Days are local days in ``TIME_ZONE`` (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

from avrecords.lib.refusals import Conflict
from avrecords.lib.workdays import Calendar
from avrecords.policies.schema_values import CountedFrom, DeadlineRule

if TYPE_CHECKING:
    from avrecords.policies.schema import Activity, Deadline, Profile


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
        case DeadlineRule.HOURS if deadline.counted_from == CountedFrom.ACTIVITY_END:
            return f"执法活动结束后{deadline.amount}小时内"
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


def counts_from_activity(profile: Profile) -> bool:
    """The clock starts when the enforcement activity ends (002§15, 003§13), not each file."""
    return profile.ingest.deadline.counted_from == CountedFrom.ACTIVITY_END


def extension_refusal(profile: Profile, *, dispute: bool) -> str:
    """Why the profile's extension cannot apply to an activity, in Chinese ("" when it can):
    none in the profile, or a dispute or sudden incident happened there (004§17)."""
    extension = profile.ingest.extension
    if extension is None:
        return f"策略“{profile.name}”没有延长存储期限的规定"
    if dispute and "dispute" in extension.not_for:
        return f"现场发生纠纷冲突或突发事件，不得延长存储期限（{extension.cite}）"
    return ""


def extension_warning(profile: Profile, activity: Activity | None) -> str:
    """What the unit head is told before consenting for an activity type prone to disputes;
    he decides (004§17 excludes only a dispute that happened)."""
    extension = profile.ingest.extension
    if extension is None or activity is None or not activity.dispute_prone:
        return ""
    if "dispute_prone" not in extension.warn_for:
        return ""
    return f"“{activity.name}”属于容易引发争议的执法活动，请审慎决定"


def ingest_due(
    profile: Profile,
    ended_at: dt.datetime,
    calendar: Calendar,
    *,
    returned_at: dt.datetime | None = None,
    extended: bool = False,
    dispute: bool = False,
) -> Due:
    """The moment by which a recording must be stored, counted from `ended_at` (the file's
    or the activity's end, as `counted_from` says). `extended`: the unit head consented;
    refused with `ExtensionRefused` where it cannot apply (`extension_refusal`)."""
    rule = profile.ingest.deadline
    if extended:
        if refusal := extension_refusal(profile, dispute=dispute):
            raise ExtensionRefused(refusal)
        rule = profile.ingest.extension
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
