"""What access does when a lower app tells it something (`avrecords.events`): it keeps the
effective confidentiality marks (M9) right when what covers a recording or an activity
changes — an activity's links, a case's contents.

Connected once in `AccessConfig.ready()`. Each receiver runs inside the sender's
transaction, so the marks commit or roll back with the change that moved them.
"""

from __future__ import annotations

from avrecords import events
from avrecords.access.secrecy import refresh_activities, refresh_recordings
from avrecords.compliance.models import Activity
from avrecords.recordings.models import Recording


def _recordings(recordings) -> None:
    refresh_recordings(Recording.objects.filter(pk__in=[r.pk for r in recordings]))


def on_activity_links_changed(*, activities, recordings, actor, change) -> None:
    """A marked activity's mark covers its recordings; an automatic link to unmarked
    activities changes no mark, so nothing is recomputed."""
    if change == "auto" and not any(activity.secrecy for activity in activities):
        return
    _recordings(recordings)


def on_case_changed(*, case, actor, change, recordings=(), activity=None, before="") -> None:
    """A case's mark covers what it holds: recompute what came in or went out."""
    if change in ("recordings_filed", "recordings_removed"):
        _recordings(recordings)
    elif change in ("activity_filed", "activity_removed"):
        refresh_activities(Activity.objects.filter(pk=activity.pk))


def connect() -> None:
    events.ACTIVITY_LINKS_CHANGED.connect(on_activity_links_changed)
    events.CASE_CHANGED.connect(on_case_changed)
