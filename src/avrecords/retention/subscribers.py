"""What retention does when a lower app tells it something (`avrecords.events`): it
recomputes the keep-until of the recordings whose facts changed (M5) — an activity entered or
linked, a recording evaluated after ingest, a case's contents or state, an evidence export.

Connected once in `RetentionConfig.ready()`. Each receiver runs inside the sender's
transaction, so the new dates commit or roll back with the change that moved them.
"""

from __future__ import annotations

from avrecords import events
from avrecords.access.models import RequestKind
from avrecords.retention.services import reclassify, reclassify_activity, reclassify_case


def on_activity_changed(*, activity, actor, change) -> None:
    """An activity's facts (a dispute) reach its recordings."""
    reclassify_activity(activity, actor=actor, why=f"执法活动 {activity.kind_name}")


def on_activity_links_changed(*, activities, recordings, actor, change) -> None:
    """A recording linked by hand takes on the activity's facts; automatic links are
    classified when the recording is evaluated, unlinking keeps the date (it only extends)."""
    if change == "linked":
        reclassify(recordings, actor=actor, why=f"关联执法活动 {activities[0].kind_name}")


def on_recording_evaluated(*, recording) -> None:
    """Its first category and date, once its activities are known."""
    reclassify([recording], why="入库")


CASE_WHY = {
    "recordings_filed": "归入案卷 {number}",
    "recordings_removed": "移出案卷 {number}",
    "closed": "案卷 {number} 结案",
    "filed": "案卷 {number} 归档",
}


def on_case_changed(*, case, actor, change, recordings=(), activity=None, before="") -> None:
    """A recording filed with a case is kept with the case file."""
    if change not in CASE_WHY:
        return
    why = CASE_WHY[change].format(number=case.number)
    if change in ("recordings_filed", "recordings_removed"):
        reclassify([r.pk for r in recordings], actor=actor, why=why)
    else:
        reclassify_case(case, actor=actor, why=why)


def on_request_executed(*, request, actor) -> None:
    """Recordings exported as evidence are kept as evidence."""
    if request.kind == RequestKind.EXPORT:
        reclassify(list(request.recordings.all()), actor=actor, why=f"证据导出 {request.number}")


def connect() -> None:
    events.ACTIVITY_CHANGED.connect(on_activity_changed)
    events.ACTIVITY_LINKS_CHANGED.connect(on_activity_links_changed)
    events.RECORDING_EVALUATED.connect(on_recording_evaluated)
    events.CASE_CHANGED.connect(on_case_changed)
    events.REQUEST_EXECUTED.connect(on_request_executed)
