"""The compliance engine: findings computed from activities, recordings and the unit's profile.

Each finding has a key naming what it is about (``gap:<activity>:<rec>:<rec>``). Evaluating
an activity or a recording computes the findings that hold now and reconciles them with the
stored ones: a new one is opened, one that holds again is reopened, one that no longer holds
(a late recording arrived and closed the gap) is marked 数据更新后已不存在. Findings a
person has worked (explained, resolved, exempted, escalated) are left as they are.

- late ingest (M1): ingested after the profile's deadline (`policies.deadlines`), counted
  from the file's end or, where the article says so, the activity's (`ingest_deadline`) →
  also a violation candidate at once (000§17, 001§19, 002§15, 003§13, 004§17);
- gap (U2): consecutive segments of one device within an activity more than the profile's
  gap tolerance apart;
- uncovered (U2): the start or end of the activity, or a stretch of it, recorded by no device
  for longer than the coverage tolerance;
- missing (U1): an activity that must be recorded with no recording and no approved
  exemption;
- time mismatch (U6): the document's start or end differs from the recordings' by more than
  the tolerance;
- outside (U7): a recording linked to no activity, for review.

A recording bound to no officer (待指派) raises nothing of its own until an administrator
binds it: a finding or a violation candidate must name someone answerable.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords import events
from avrecords.compliance.models import (
    OPEN_STATUSES,
    Activity,
    ActivityRecording,
    Decision,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.lib.quantities import overdue
from avrecords.lib.workdays import Calendar
from avrecords.policies.deadlines import (
    Due,
    counts_from_activity,
    extension_refusal,
    ingest_due,
)
from avrecords.policies.services import calendar as official_calendar
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile

log = logging.getLogger(__name__)
EXPLAINABLE = (FindingKind.GAP, FindingKind.UNCOVERED, FindingKind.MISSING)


@dataclass
class Computed:
    key: str
    kind: str
    summary: str
    cite: str
    officer_id: int | None
    recording_id: int | None = None
    detail: dict = field(default_factory=dict)


def _local(at: dt.datetime) -> str:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M:%S")


def _minutes(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


# --- what holds for an activity -----------------------------------------------------------


def activity_findings(activity: Activity, recordings: list[Recording], profile: Profile):
    officer = activity.officers.order_by("pk").values_list("pk", flat=True).first()
    c = profile.continuity
    out: list[Computed] = []
    if not recordings:
        if activity.must_record:
            out.append(
                Computed(
                    f"missing:{activity.pk}",
                    FindingKind.MISSING,
                    f"{activity.kind_name}须全程音像记录，但没有关联的音像记录",
                    activity.cite,
                    officer,
                )
            )
        return out
    gap_limit = dt.timedelta(seconds=c.gap_tolerance.seconds)
    by_device: dict[str, list[Recording]] = {}
    for rec in recordings:
        by_device.setdefault(str(rec.device_id or rec.device_serial or rec.pk), []).append(rec)
    gaps = []
    for segments in by_device.values():
        for prev, nxt in zip(segments, segments[1:], strict=False):
            gap = nxt.started_at - prev.ended_at
            if gap > gap_limit:
                gaps.append((prev.ended_at, nxt.started_at))
                out.append(
                    Computed(
                        f"gap:{activity.pk}:{prev.pk}:{nxt.pk}",
                        FindingKind.GAP,
                        f"{_local(prev.ended_at)}–{_local(nxt.started_at)} 记录中断 "
                        f"{_minutes(gap.total_seconds())}（同一设备相邻分段）",
                        c.gap_tolerance.cite,
                        prev.officer_id or officer,
                        nxt.pk,
                        {
                            "from": prev.ended_at.isoformat(),
                            "to": nxt.started_at.isoformat(),
                            "seconds": gap.total_seconds(),
                            "before": prev.pk,
                            "after": nxt.pk,
                        },
                    )
                )
    out += _uncovered(activity, recordings, profile, officer, gaps)
    out += _mismatch(activity, recordings, profile, officer)
    return out


def _uncovered(activity, recordings, profile, officer, gaps) -> list[Computed]:
    """Stretches of the activity no device recorded, longer than the coverage tolerance; a
    stretch inside one device's gap is that gap, already found."""
    limit = dt.timedelta(seconds=profile.continuity.coverage_tolerance.seconds)
    holes, cursor = [], activity.started_at
    for rec in sorted(recordings, key=lambda r: r.started_at):
        if rec.started_at > cursor:
            holes.append((cursor, min(rec.started_at, activity.ended_at)))
        cursor = max(cursor, rec.ended_at)
    if cursor < activity.ended_at:
        holes.append((cursor, activity.ended_at))
    out = []
    for start, end in holes:
        if end - start <= limit or any(a <= start and end <= b for a, b in gaps):
            continue
        where = (
            "开始"
            if start == activity.started_at
            else "结束"
            if end == activity.ended_at
            else "中途"
        )
        out.append(
            Computed(
                f"uncovered:{activity.pk}:{int(start.timestamp())}",
                FindingKind.UNCOVERED,
                f"活动{where} {_local(start)}–{_local(end)} 无任何设备记录（{_minutes((end - start).total_seconds())}）",
                profile.continuity.coverage_tolerance.cite,
                officer,
                None,
                {
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "seconds": (end - start).total_seconds(),
                },
            )
        )
    return out


def _mismatch(activity, recordings, profile, officer) -> list[Computed]:
    if profile.continuity.time_mismatch_tolerance is None:
        return []  # the agency's rules do not ask for it
    limit = profile.continuity.time_mismatch_tolerance.seconds
    first = min(r.started_at for r in recordings)
    last = max(r.ended_at for r in recordings)
    out = []
    for edge, written, recorded in (
        ("start", activity.document_started_at, first),
        ("end", activity.document_ended_at, last),
    ):
        if written is None:
            continue
        diff = abs((written - recorded).total_seconds())
        if diff > limit:
            label = "开始" if edge == "start" else "结束"
            doc = activity.document_name or "文书"
            out.append(
                Computed(
                    f"time:{activity.pk}:{edge}",
                    FindingKind.TIME_MISMATCH,
                    f"{doc}记载{label} {_local(written)}，音像记录{label} {_local(recorded)}，相差 {_minutes(diff)}",
                    profile.continuity.time_mismatch_tolerance.cite,
                    officer,
                    None,
                    {
                        "edge": edge,
                        "document": written.isoformat(),
                        "recording": recorded.isoformat(),
                        "seconds": diff,
                    },
                )
            )
    return out


# --- what holds for a recording -------------------------------------------------------------


def ingest_deadline(
    recording: Recording, activities: list[Activity], profile: Profile, cal: Calendar
) -> tuple[Due, Activity | None, str]:
    """The deadline a recording must meet (M1), the activity it is counted from, and a note
    for the finding ("" when there is nothing to say).

    Where the clock starts at the activity's end (002§15 "执法结束后 24 小时内", 003§13
    "每次执法活动结束后"), every file of the activity is measured from that end. A file in
    several activities holds the information of each, and each activity's information is
    due at its own deadline: the file must meet the earliest of them. A recording in no
    activity is measured from its own end, the best the platform knows, and says so. A file
    cannot be stored before it ends, so the clock never starts before the file's own end.
    An extension granted before a dispute was recorded no longer applies (004§17): the normal
    deadline holds, and the note says why.
    """
    from_activity = counts_from_activity(profile)
    if not activities:
        note = "未关联执法活动，按文件结束时间计算" if from_activity else ""
        return ingest_due(profile, recording.ended_at, cal), None, note
    options = []
    for activity in activities:
        start = max(activity.ended_at, recording.ended_at) if from_activity else recording.ended_at
        extended, note = bool(activity.extension_by_id), ""
        if extended and (refusal := extension_refusal(profile, dispute=activity.dispute)):
            extended, note = False, f"已同意的延期存储不再适用：{refusal}"
        due = ingest_due(
            profile,
            start,
            cal,
            returned_at=activity.returned_at,
            extended=extended,
            dispute=activity.dispute,
        )
        options.append((due.at, activity.pk, due, activity, note))
    _, _, due, activity, note = min(options)
    return due, activity, note


def recording_findings(recording: Recording, profile: Profile, cal: Calendar) -> list[Computed]:
    out = []
    activities = list(
        Activity.objects.filter(links__recording=recording, links__excluded=False).order_by("pk")
    )
    due, activity, note = ingest_deadline(recording, activities, profile, cal)
    if recording.ingested_at > due.at:
        late = (recording.ingested_at - due.at).total_seconds()
        rule = due.rule
        if activity is not None and counts_from_activity(profile):
            rule += f"，执法活动 {timezone.localtime(activity.ended_at):%Y-%m-%d %H:%M} 结束"
        notes = "".join(f"（{text}）" for text in (note, due.warning) if text)
        out.append(
            Computed(
                f"late:{recording.pk}",
                FindingKind.LATE_INGEST,
                f"应于 {timezone.localtime(due.at):%Y-%m-%d %H:%M} 前存储（{rule}），"
                f"实际 {timezone.localtime(recording.ingested_at):%Y-%m-%d %H:%M} 入库，"
                f"{overdue(late)}{notes}",
                due.cite,
                recording.officer_id,
                recording.pk,
                {
                    "due": due.at.isoformat(),
                    "ingested": recording.ingested_at.isoformat(),
                    "warning": due.warning,
                    "activity": activity.pk if activity is not None else None,
                    "counted_from": "activity"
                    if activity and counts_from_activity(profile)
                    else "recording",
                    "note": note,
                },
            )
        )
    if not activities:
        out.append(
            Computed(
                f"outside:{recording.pk}",
                FindingKind.OUTSIDE,
                "没有对应的执法活动，请核实是否用于执法以外的用途",
                "",
                recording.officer_id,
                recording.pk,
            )
        )
    return out


# --- reconciling with what is stored ----------------------------------------------------------


def _respond_by(profile: Profile, cal: Calendar, now: dt.datetime) -> dt.datetime:
    days = profile.interruptions.explain_within_working_days
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    day = cal.nth_working_day_after(local, days)
    return dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


def reconcile(
    scope: dict, computed: list[Computed], unit_id: int, profile: Profile, cal: Calendar
) -> list[Finding]:
    """Store `computed` as the findings of `scope` (activity=… or recording=… and kinds)."""
    now = timezone.now()
    existing = {f.key: f for f in Finding.objects.filter(**scope)}
    opened = []
    for item in computed:
        row = existing.pop(item.key, None)
        fields = {
            "kind": item.kind,
            "summary": item.summary[:300],
            "cite": item.cite,
            "officer_id": item.officer_id,
            "detail": item.detail,
            "unit_id": unit_id,
        }
        if row is None:
            row, created = Finding.objects.get_or_create(
                key=item.key,
                defaults={
                    **fields,
                    "activity": scope.get("activity"),
                    "recording_id": item.recording_id
                    or (scope["recording"].pk if "recording" in scope else None),
                    "respond_by": _respond_by(profile, cal, now)
                    if item.kind in EXPLAINABLE
                    else None,
                },
            )
            if created:
                opened.append(row)
                continue
        if row.status == FindingStatus.CLEARED:
            fields.update(status=FindingStatus.OPEN, closed_at=None)
            opened.append(row)
        Finding.objects.filter(pk=row.pk).update(**fields)
    for row in existing.values():  # no longer holds
        if row.status in OPEN_STATUSES:
            Finding.objects.filter(pk=row.pk).update(status=FindingStatus.CLEARED, closed_at=now)
    return opened


@transaction.atomic
def evaluate_activity(activity: Activity, cal: Calendar | None = None) -> list[Finding]:
    profile = profile_for_unit(activity.unit)
    if profile is None:
        return []
    cal = cal or official_calendar()
    recordings = list(
        Recording.objects.filter(
            activity_links__activity=activity, activity_links__excluded=False
        ).order_by("started_at", "pk")
    )
    computed = activity_findings(activity, recordings, profile)
    if activity.exemptions.filter(decision=Decision.APPROVED).exists():
        for item in computed:
            if item.kind == FindingKind.MISSING:
                Finding.objects.filter(key=item.key).update(status=FindingStatus.EXEMPTED)
    scope = {
        "activity": activity,
        "kind__in": [  # a missed notice (U5) is the notice check's, by listening
            k
            for k in FindingKind.values
            if k not in (FindingKind.LATE_INGEST, FindingKind.OUTSIDE, FindingKind.NO_NOTICE)
        ],
    }
    opened = reconcile(scope, computed, activity.unit_id, profile, cal)
    for rec in recordings:
        evaluate_recording(rec, cal)
    # A recording unlinked by hand is no longer measured from this activity's end (M1).
    for rec in Recording.objects.filter(
        activity_links__activity=activity, activity_links__excluded=True
    ):
        evaluate_recording(rec, cal)
    return opened


@transaction.atomic
def evaluate_recording(recording: Recording, cal: Calendar | None = None) -> list[Finding]:
    if recording.officer_id is None:
        # 待指派: bound to nobody yet, so nobody is answerable for it; evaluated once an
        # administrator binds it (recordings.assignment, issue 15).
        return []
    unit = recording.unit
    profile = profile_for_unit(unit) if unit is not None else None
    if profile is None:
        return []
    cal = cal or official_calendar()
    computed = recording_findings(recording, profile, cal)
    scope = {"recording": recording, "kind__in": [FindingKind.LATE_INGEST, FindingKind.OUTSIDE]}
    opened = reconcile(scope, computed, unit.pk, profile, cal)
    for finding in opened:
        if finding.kind == FindingKind.LATE_INGEST:
            events.LATE_INGEST_FOUND.send(finding=finding)  # M1: a violation candidate at once
    return opened


def relinked(recording: Recording) -> None:
    """A recording arrived or moved: link it, re-evaluate its activities and itself."""
    from avrecords.compliance.activities import link_new_recording

    cal = official_calendar()
    for activity in link_new_recording(recording):
        evaluate_activity(activity, cal)
    evaluate_recording(recording, cal)


def links_of(activity: Activity):
    return ActivityRecording.objects.filter(activity=activity).select_related("recording")
