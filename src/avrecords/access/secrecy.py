"""Confidentiality marks (M9: 000§19, 001§25, 003§14, 004§21).

A recording, an activity or a case may be marked 国家秘密, 商业秘密 or 个人隐私. What a list
filters on is the *effective* mark, stored on the row so a search over millions of recordings
stays one indexed condition: the highest of the item's own mark and those of its case and of
the activities it is linked to. Marks change only through an approved request (`requests`);
these functions recompute the effective marks after a mark or a link changes.
"""

from __future__ import annotations

from django.db.models import QuerySet

from avrecords.org.models import SECRECY_RANK


def highest(*marks: str) -> str:
    present = [m for m in marks if m]
    return max(present, key=lambda m: SECRECY_RANK.get(m, 0)) if present else ""


def _activity_effective(activity) -> str:
    return highest(activity.secrecy_mark, activity.case.secrecy if activity.case_id else "")


def refresh_activities(qs: QuerySet) -> int:
    """Recompute the effective mark of these activities and of their linked recordings."""
    from avrecords.recordings.models import Recording

    changed = 0
    for activity in qs.select_related("case"):
        effective = _activity_effective(activity)
        if effective != activity.secrecy:
            type(activity).objects.filter(pk=activity.pk).update(secrecy=effective)
            changed += 1
    refresh_recordings(
        Recording.objects.filter(
            activity_links__activity__in=qs.values("pk"), activity_links__excluded=False
        ).distinct()
    )
    return changed


def refresh_recordings(qs: QuerySet) -> int:
    """Recompute the effective mark of these recordings; returns how many changed."""
    from avrecords.compliance.models import ActivityRecording
    from avrecords.recordings.models import Recording

    rows = list(qs.select_related("case").only("pk", "secrecy", "secrecy_mark", "case__secrecy"))
    if not rows:
        return 0
    via_activities: dict[int, list[str]] = {}
    for rec_id, mark in ActivityRecording.objects.filter(
        recording__in=[r.pk for r in rows], excluded=False
    ).values_list("recording_id", "activity__secrecy"):
        via_activities.setdefault(rec_id, []).append(mark)
    changed = 0
    for rec in rows:
        effective = highest(
            rec.secrecy_mark,
            rec.case.secrecy if rec.case_id else "",
            *via_activities.get(rec.pk, []),
        )
        if effective != rec.secrecy:
            Recording.objects.filter(pk=rec.pk).update(secrecy=effective)
            changed += 1
    return changed


def apply_mark(target, mark: str) -> None:
    """Set the own mark of a recording, activity or case and recompute what follows from it."""
    from avrecords.cases.models import Case
    from avrecords.compliance.models import Activity
    from avrecords.recordings.models import Recording

    if isinstance(target, Case):
        Case.objects.filter(pk=target.pk).update(secrecy=mark)
        refresh_activities(Activity.objects.filter(case=target))
        refresh_recordings(Recording.objects.filter(case=target))
    elif isinstance(target, Activity):
        Activity.objects.filter(pk=target.pk).update(secrecy_mark=mark)
        refresh_activities(Activity.objects.filter(pk=target.pk))
    elif isinstance(target, Recording):
        Recording.objects.filter(pk=target.pk).update(secrecy_mark=mark)
        refresh_recordings(Recording.objects.filter(pk=target.pk))
    else:
        raise TypeError(f"cannot mark {type(target).__name__}")
