"""Online review (S1: 001§9, 004§10): a supervisor browses the activities of the units he
supervises — their recordings, documents and findings — and opens a complaint against one: a
legal hold (`retention.holds.place`, kind 投诉) that preserves the activity's recordings and
gathers them for the investigation.

Scope is `Activity.objects.visible_to` (X2, M9): a supervisor the units assigned to him, unit
heads and leaders their subtree, system administrators everything. Playing a recording is the recording
page's business (grants, the audit entry): nothing here serves media. Looking at an activity's
review page is audited (`supervision.review_view`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.compliance.models import Activity, ActivityRecording, Finding, FindingKind
from avrecords.compliance.models import FindingStatus as FS
from avrecords.lib.refusals import Invalid
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import sees_everything
from avrecords.retention import approvals, holds
from avrecords.retention.approvals import Refused
from avrecords.retention.models import HoldKind, HoldStatus, LegalHold
from avrecords.supervision import scoring
from avrecords.supervision.models import CampaignStatus, Sample

REVIEW_ROLES = {Role.SUPERVISOR, Role.UNIT_HEAD, Role.LEADER}
COMPLAINT_REASON_MAX_CHARS = 2000


class ComplaintRefused(Invalid, ValueError):
    """A complaint that cannot be opened (422: no reason, too long, not this person's to
    open); the message is Chinese and the page shows it beside the form."""


def can_review(user) -> bool:
    """Supervision pages: supervisors, unit heads and leaders within scope; sysadmin all."""
    return user.is_authenticated and (sees_everything(user) or user.role in REVIEW_ROLES)


def can_open_complaint(user, activity: Activity) -> bool:
    """A complaint is a legal hold: only those who may place one on the activity's unit."""
    return can_review(user) and approvals.can_place_hold(user, activity.unit)


def reviewable(user) -> QuerySet[Activity]:
    return Activity.objects.visible_to(user) if can_review(user) else Activity.objects.none()


# --- the list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFilter:
    unit: int | None = None  # the unit and the units below it
    officer: int | None = None
    date_from: dt.date | None = None  # local dates, both included
    date_to: dt.date | None = None
    kind: str | None = None  # activity type code
    has_findings: bool | None = None  # None: either


def _int(value, label: str, errors: list[str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors.append(f"{label}：应为编号")
        return None


def _day(value, label: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(f"{label}：应为日期，如 2026-01-01")
        return None


def read_filter(params: Mapping) -> tuple[ReviewFilter, list[str]]:
    """The list page's query string as a filter (unparsable values are errors)."""
    errors: list[str] = []
    findings = params.get("findings") or ""
    f = ReviewFilter(
        unit=_int(params.get("unit"), "单位", errors),
        officer=_int(params.get("officer"), "执法人员", errors),
        date_from=_day(params.get("date_from"), "起始日期", errors),
        date_to=_day(params.get("date_to"), "截止日期", errors),
        kind=(params.get("kind") or "").strip() or None,
        has_findings={"1": True, "0": False}.get(findings),
    )
    if findings not in ("", "1", "0"):
        errors.append("有无问题：应为 1（有）或 0（无）")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        errors.append("截止日期早于起始日期")
    return f, errors


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def with_findings() -> Exists:
    """An activity has findings: one of its own, or a late ingest of one of its recordings,
    that still holds (a cleared one — 数据更新后已不存在 — is gone)."""
    own = Finding.objects.filter(activity=OuterRef("pk")).exclude(status=FS.CLEARED)
    late = Finding.objects.filter(
        kind=FindingKind.LATE_INGEST,
        recording_id__in=ActivityRecording.objects.filter(
            activity=OuterRef(OuterRef("pk")), excluded=False
        ).values("recording_id"),
    ).exclude(status=FS.CLEARED)
    return Exists(own) | Exists(late)


def search(user, f: ReviewFilter) -> QuerySet[Activity]:
    qs = reviewable(user)
    if f.unit is not None:
        unit = Unit.objects.visible_to(user).filter(pk=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.officer is not None:
        qs = qs.filter(pk__in=Activity.objects.filter(officers=f.officer).values("pk"))
    if f.date_from:
        qs = qs.filter(started_at__gte=_local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(started_at__lt=_local_midnight(f.date_to + dt.timedelta(days=1)))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.has_findings is not None:
        found = with_findings()
        qs = qs.filter(found if f.has_findings else ~Q(found))
    return qs.select_related("unit").prefetch_related("officers").order_by("-started_at", "-pk")


def finding_counts(activities) -> dict[int, int]:
    """activity id → findings that still hold (its own and its recordings' late ingests)."""
    ids = [a.pk for a in activities]
    counts = dict.fromkeys(ids, 0)
    for activity_id in (
        Finding.objects.filter(activity_id__in=ids)
        .exclude(status=FS.CLEARED)
        .values_list("activity_id", flat=True)
    ):
        counts[activity_id] += 1
    links = ActivityRecording.objects.filter(activity_id__in=ids, excluded=False)
    late = set(
        Finding.objects.filter(
            kind=FindingKind.LATE_INGEST, recording_id__in=links.values("recording_id")
        )
        .exclude(status=FS.CLEARED)
        .values_list("recording_id", flat=True)
    )
    for activity_id, recording_id in links.values_list("activity_id", "recording_id"):
        counts[activity_id] += recording_id in late
    return counts


def kind_choices(user) -> list[tuple[str, str]]:
    rows = reviewable(user).order_by("kind").values_list("kind", "kind_name").distinct()
    return list(dict(rows).items())


def officer_choices(user) -> list[User]:
    """The officers of the units in scope (for the officer filter)."""
    if not can_review(user):
        return []
    units = Unit.objects.visible_to(user)
    return list(
        User.objects.filter(unit__in=units, role=Role.OFFICER)
        .select_related("unit")
        .order_by("unit__path", "full_name", "pk")
    )


# --- one activity -------------------------------------------------------------------------


def get_reviewable(user, activity_id: int) -> Activity | None:
    """The activity if it is in the user's scope (whatever his role: the page answers 404
    outside scope before 403 for want of the role)."""
    return (
        Activity.objects.visible_to(user)
        .select_related("unit", "case", "created_by")
        .prefetch_related("officers")
        .filter(pk=activity_id)
        .first()
    )


def findings_of(activity: Activity) -> QuerySet[Finding]:
    """Its findings, and the late ingests of its recordings, that still hold."""
    recordings = ActivityRecording.objects.filter(activity=activity, excluded=False)
    return (
        Finding.objects.filter(
            Q(activity=activity)
            | Q(kind=FindingKind.LATE_INGEST, recording_id__in=recordings.values("recording_id"))
        )
        .exclude(status=FS.CLEARED)
        .select_related("officer", "recording")
        .order_by("kind", "pk")
    )


def complaints_of(activity: Activity) -> QuerySet[LegalHold]:
    """The holds placed on the activity itself (complaints and the rest), newest first."""
    return (
        LegalHold.objects.filter(activity=activity)
        .select_related("placed_by")
        .prefetch_related("recordings")
        .order_by("-placed_at", "-pk")
    )


def view(user, activity: Activity, *, ip: str = "") -> None:
    audit.record(
        "supervision.review_view",
        actor=user,
        obj=activity,
        summary=f"监督查看执法活动 {activity}"[:500],
        ip=ip,
    )


def open_complaint(
    user, activity: Activity, *, reason: str, reference: str = "", ip: str = ""
) -> LegalHold:
    """立案调查投诉: a complaint's legal hold on the activity, preserving and gathering its
    recordings (S1). ComplaintRefused (Chinese) when it cannot be opened; nothing changed."""
    if not can_open_complaint(user, activity):
        raise ComplaintRefused("无权对该单位的执法活动立案调查投诉")
    reason = reason.strip()
    if not reason:
        raise ComplaintRefused("请填写投诉事由")
    if len(reason) > COMPLAINT_REASON_MAX_CHARS:
        raise ComplaintRefused(f"投诉事由不应超过 {COMPLAINT_REASON_MAX_CHARS} 字")
    try:
        return holds.place(
            user,
            kind=HoldKind.COMPLAINT,
            reason=reason,
            reference=reference,
            activity=activity,
            ip=ip,
        )
    except Refused as exc:
        raise ComplaintRefused(str(exc)) from exc


# --- the supervisor's own access (S1: 004§10, 004§22) ---------------------------------------


def reviewing(user, recording) -> str:
    """What the supervisor is reviewing that this recording belongs to ("" if nothing): an
    activity sampled for a campaign still being scored that he may score, or a complaint (an
    active 投诉 hold) over it. `access.grants` asks this, after the profile's
    `supervision.review_access` (the approvals engine) lets him review without a request."""
    activities = ActivityRecording.objects.filter(recording=recording, excluded=False).values(
        "activity_id"
    )
    samples = Sample.objects.filter(activity_id__in=activities).exclude(
        campaign__status=CampaignStatus.CLOSED
    )
    for sample in samples.select_related("campaign", "unit", "activity"):
        if scoring.may_score(user, sample):
            return f"抽查评查 {sample.campaign.number}"
    complaint = LegalHold.objects.filter(
        kind=HoldKind.COMPLAINT,
        status__in=[HoldStatus.ACTIVE, HoldStatus.RELEASE_PENDING],
        recordings=recording,
    ).first()
    return f"投诉核查 {complaint.number}" if complaint else ""
