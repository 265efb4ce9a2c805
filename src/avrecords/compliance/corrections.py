"""Correcting an activity after it was entered (U1, M1): its end, its return to the unit, and
whether a dispute or sudden incident happened there.

The agency's case system corrects an end time, or a dispute becomes known afterwards, and
the activity's export is imported again (`imports`, same 外部编号). These facts move the
deadline of every file of the activity: 002§15 and 003§13 count from the activity's end, a
field trip from the return to the unit, and 004§17 allows no extension where a dispute
happened. So the activity and its recordings are evaluated again at once — a late finding
appears or clears — and retention hears of it (a dispute keeps the recordings longer, M5).
Audited with the values before and after; nothing is saved when a value is wrong.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from avrecords import events
from avrecords.audit.services import record
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Activity

KEEP = object()  # a fact the correction leaves as it is
FIELDS = {"ended_at": "实际结束", "returned_at": "返回单位时间", "dispute": "现场纠纷"}


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


def problems(activity: Activity, *, ended_at=KEEP, returned_at=KEEP, dispute=KEEP) -> list[str]:
    """What is wrong with these facts for this activity, in Chinese ([] when nothing)."""
    return _errors(
        activity,
        activity.ended_at if ended_at is KEEP else ended_at,
        activity.returned_at if returned_at is KEEP else returned_at,
    )


def _errors(activity: Activity, ended_at: dt.datetime, returned_at: dt.datetime | None):
    for label, value in (("实际结束", ended_at), ("返回单位时间", returned_at)):
        if value is not None and value.tzinfo is None:
            return [f"{label}：须带时区"]
    errors = []
    if ended_at < activity.started_at:
        errors.append("实际结束：结束时间早于开始时间")
    elif ended_at - activity.started_at > dt.timedelta(hours=acts.MAX_ACTIVITY_HOURS):
        errors.append(f"实际结束：一次执法活动不应超过 {acts.MAX_ACTIVITY_HOURS} 小时，请核对")
    if returned_at is not None and returned_at < ended_at:
        errors.append("返回单位时间：早于活动结束时间")
    return errors


def changes(activity: Activity, *, ended_at=KEEP, returned_at=KEEP, dispute=KEEP) -> dict:
    """field → new value, for the facts given that differ from the activity's."""
    given = {"ended_at": ended_at, "returned_at": returned_at, "dispute": dispute}
    return {
        name: value
        for name, value in given.items()
        if value is not KEEP and value != getattr(activity, name)
    }


@transaction.atomic
def correct(actor, activity: Activity, *, ended_at=KEEP, returned_at=KEEP, dispute=KEEP) -> dict:
    """Correct the facts given (the others are kept); returns what changed (field → new
    value), {} when nothing did. Raises `activities.ActivityInvalid` with Chinese reasons."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    changed = changes(activity, ended_at=ended_at, returned_at=returned_at, dispute=dispute)
    if not changed:
        return {}
    errors = _errors(
        activity,
        changed.get("ended_at", activity.ended_at),
        changed.get("returned_at", activity.returned_at),
    )
    if errors:
        raise acts.ActivityInvalid(errors)
    before = {name: getattr(activity, name) for name in changed}
    Activity.objects.filter(pk=activity.pk).update(**changed)
    activity.refresh_from_db()
    record(
        "activity.correct",
        actor=actor,
        obj=activity,
        summary=f"更正执法活动 {activity}："
        + "；".join(
            f"{FIELDS[name]} {_shown(before[name])} → {_shown(value)}"
            for name, value in changed.items()
        ),
        detail={
            name: {
                "before": before[name] if isinstance(before[name], bool) else _iso(before[name]),
                "after": value if isinstance(value, bool) else _iso(value),
            }
            for name, value in changed.items()
        },
    )
    acts.auto_link(activity)  # a later end may cover more of its officers' recordings
    events.ACTIVITY_CHANGED.send(activity=activity, actor=actor, change="corrected")
    evaluate_activity(activity)
    return changed


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
