"""Recording enforcement activities (U1) and linking recordings to them, audited (X1).

An activity's type comes from the catalogue of its unit's profile; whether it must be
recorded, and the article that says so, are copied onto the activity when it is made, so a
later profile change does not rewrite history. Recordings are linked automatically when the
same officer recorded during the activity (within the profile's coverage tolerance); a
person can link or unlink by hand, and a hand-unlinked recording never comes back by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from avrecords import events
from avrecords.audit.services import record
from avrecords.compliance.models import Activity, ActivityRecording, ActivitySource, LinkOrigin
from avrecords.lib.refusals import Invalid
from avrecords.org import suspensions
from avrecords.org.models import Unit, User
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

MAX_ACTIVITY_HOURS = 72  # longer is a typing error, not an activity


class ActivityInvalid(Invalid, ValueError):
    """Chinese messages, one per wrong field ("field：reason"); nothing was saved (422)."""

    api_prefix = "未保存："
    reasons_name_fields = True

    def __init__(self, errors: list[str]) -> None:
        super().__init__(reasons=errors)
        self.errors = errors


@dataclass
class ActivityInput:
    unit: Unit
    kind: str
    started_at: dt.datetime
    ended_at: dt.datetime
    officers: list[User] = field(default_factory=list)
    case_number: str = ""
    party: str = ""
    place: str = ""
    planned_start: dt.datetime | None = None
    planned_end: dt.datetime | None = None
    document_started_at: dt.datetime | None = None
    document_ended_at: dt.datetime | None = None
    document_name: str = ""
    dispute: bool = False
    explosive_area: bool = False  # 001§6(1): needs explosion-proof recorders
    returned_at: dt.datetime | None = None
    external_ref: str = ""


def check(data: ActivityInput) -> tuple[list[str], object]:
    """(errors, the activity type from the unit's profile)."""
    errors: list[str] = []
    profile = profile_for_unit(data.unit)
    kind = None
    if profile is None:
        errors.append(f"单位：{data.unit.name} 尚未指定执法策略，请系统管理员先指定")
    else:
        kind = profile.activity(data.kind)
        if kind is None:
            known = "、".join(f"{a.code}（{a.name}）" for a in profile.activities[:6])
            errors.append(f"活动类型：“{data.kind}”不在策略“{profile.name}”的目录中（如 {known}…）")
    times = (
        ("实际开始", data.started_at),
        ("实际结束", data.ended_at),
        ("计划开始", data.planned_start),
        ("计划结束", data.planned_end),
        ("文书记载开始", data.document_started_at),
        ("文书记载结束", data.document_ended_at),
        ("返回单位时间", data.returned_at),
    )
    naive = [
        f"{label}：须带时区" for label, value in times if value is not None and value.tzinfo is None
    ]
    if naive:
        return errors + naive, kind
    if data.ended_at < data.started_at:
        errors.append("实际结束：结束时间早于开始时间")
    elif data.ended_at - data.started_at > dt.timedelta(hours=MAX_ACTIVITY_HOURS):
        errors.append(f"实际结束：一次执法活动不应超过 {MAX_ACTIVITY_HOURS} 小时，请核对")
    pairs = (
        ("计划结束", data.planned_start, data.planned_end),
        ("文书记载结束", data.document_started_at, data.document_ended_at),
    )
    for label, start, end in pairs:
        if start is not None and end is not None and end < start:
            errors.append(f"{label}：结束时间早于开始时间")
    if data.returned_at is not None and data.returned_at < data.ended_at:
        errors.append("返回单位时间：早于活动结束时间")
    if not data.officers:
        errors.append("执法人员：至少一人")
    for officer in data.officers:
        if officer.unit_id is None or not officer.unit.path.startswith(data.unit.path):
            errors.append(f"执法人员：{officer.display_name} 不属于 {data.unit.name} 或其下级单位")
    if data.started_at is not None and data.ended_at is not None:  # S5: none suspended
        for officer in data.officers:
            period = suspensions.suspended_during(officer, data.started_at, data.ended_at)
            if period is not None:
                errors.append(f"执法人员：{suspensions.describe(period)}，不能参加该执法活动")
    return errors, kind


@transaction.atomic
def create_activity(actor, data: ActivityInput, source: str = ActivitySource.WEB) -> Activity:
    errors, kind = check(data)
    if errors:
        raise ActivityInvalid(errors)
    activity = Activity.objects.create(
        unit=data.unit,
        kind=kind.code,
        kind_name=kind.name,
        must_record=kind.must_record,
        cite=kind.cite,
        case_number=data.case_number.strip(),
        party=data.party.strip(),
        place=data.place.strip(),
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        started_at=data.started_at,
        ended_at=data.ended_at,
        document_started_at=data.document_started_at,
        document_ended_at=data.document_ended_at,
        document_name=data.document_name.strip(),
        dispute=data.dispute,
        explosive_area=data.explosive_area,
        returned_at=data.returned_at,
        external_ref=data.external_ref.strip(),
        source=source,
        created_by=actor,
    )
    activity.officers.set(data.officers)
    record(
        "activity.create",
        actor=actor,
        obj=activity,
        summary=f"录入执法活动 {activity}",
        detail={"kind": activity.kind, "source": source, "officers": [o.pk for o in data.officers]},
    )
    auto_link(activity)
    # M5: an activity's facts (a dispute) reach its recordings' retention
    events.ACTIVITY_CHANGED.send(activity=activity, actor=actor, change="created")
    return activity


def _window(activity: Activity) -> tuple[dt.datetime, dt.datetime]:
    profile = profile_for_unit(activity.unit)
    slack = dt.timedelta(seconds=profile.continuity.coverage_tolerance.seconds if profile else 0)
    return activity.started_at - slack, activity.ended_at + slack


def auto_link(activity: Activity) -> int:
    """Link the recordings of the activity's officers that overlap it; returns how many new."""
    start, end = _window(activity)
    candidates = Recording.objects.filter(
        officer__in=activity.officers.all(), started_at__lt=end, ended_at__gt=start
    ).values_list("pk", flat=True)
    known = set(activity.links.values_list("recording_id", flat=True))
    new = [
        ActivityRecording(activity=activity, recording_id=pk, origin=LinkOrigin.AUTO)
        for pk in candidates
        if pk not in known
    ]
    ActivityRecording.objects.bulk_create(new)
    if new:  # M9: a marked activity's mark covers its recordings
        events.ACTIVITY_LINKS_CHANGED.send(
            activities=[activity],
            recordings=list(Recording.objects.filter(pk__in=[row.recording_id for row in new])),
            actor=None,
            change="auto",
        )
    return len(new)


def link_new_recording(recording: Recording) -> list[Activity]:
    """After ingest: the activities this recording belongs to (same officer, overlapping)."""
    if recording.officer_id is None:
        return []
    found = []
    near = Activity.objects.filter(
        officers=recording.officer_id,
        started_at__lt=recording.ended_at + dt.timedelta(hours=1),
        ended_at__gt=recording.started_at - dt.timedelta(hours=1),
    )
    for activity in near:
        start, end = _window(activity)
        if recording.started_at < end and recording.ended_at > start:
            _, made = ActivityRecording.objects.get_or_create(
                activity=activity, recording=recording, defaults={"origin": LinkOrigin.AUTO}
            )
            found.append(activity)
    if found:
        events.ACTIVITY_LINKS_CHANGED.send(
            activities=found, recordings=[recording], actor=None, change="auto"
        )
    return found


@transaction.atomic
def link(actor, activity: Activity, recording: Recording) -> None:
    row, made = ActivityRecording.objects.get_or_create(
        activity=activity,
        recording=recording,
        defaults={"origin": LinkOrigin.MANUAL, "changed_by": actor},
    )
    if not made and not row.excluded:
        return
    ActivityRecording.objects.filter(pk=row.pk).update(
        excluded=False, origin=LinkOrigin.MANUAL, changed_by=actor
    )
    record(
        "activity.link",
        actor=actor,
        obj=activity,
        summary=f"人工关联音像记录 #{recording.pk} 到 {activity}",
        detail={"recording": recording.pk},
    )
    events.ACTIVITY_LINKS_CHANGED.send(
        activities=[activity], recordings=[recording], actor=actor, change="linked"
    )


@transaction.atomic
def unlink(actor, activity: Activity, recording: Recording) -> None:
    updated = ActivityRecording.objects.filter(
        activity=activity, recording=recording, excluded=False
    ).update(excluded=True, origin=LinkOrigin.MANUAL, changed_by=actor)
    if updated:
        record(
            "activity.unlink",
            actor=actor,
            obj=activity,
            summary=f"取消音像记录 #{recording.pk} 与 {activity} 的关联",
            detail={"recording": recording.pk},
        )
        events.ACTIVITY_LINKS_CHANGED.send(
            activities=[activity], recordings=[recording], actor=actor, change="unlinked"
        )


def linked_recordings(activity: Activity):
    return Recording.objects.filter(
        activity_links__activity=activity, activity_links__excluded=False
    ).order_by("started_at", "pk")
