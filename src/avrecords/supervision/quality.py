"""Enforcement-quality scores (S2: 001§26, 004§22; the annual 执法质量考评) per officer, per
unit and per month over a period, from the spot-check scores and the compliance engine's
findings. `score()` is the formula over plain numbers; the rest gathers the numbers.

The score of a group of activities (an officer's, a unit's, a month's):

    n         the group's activities: those that started within the period (local dates,
              both ends included)
    late      of these, the activities with a recording ingested late (a late_ingest finding,
              not cleared, on a recording linked to the activity; one per activity however
              many of its files were late)
    gaps      interruptions nobody has accounted for: the activities' gap and uncovered
              findings still open or escalated (explained, acknowledged, exempted or cleared
              ones do not count)
    missing   activities that had to be recorded and were not: a missing finding neither
              exempted nor cleared
    L, G, M   what each costs, from the profile's supervision.quality: late_ingest_points,
              unexplained_gap_points, missing_recording_points (20, 20, 40 by default)
    w         supervision.quality.spot_check_weight (0.6 by default)

    late rate = late / n
    automatic = max(0, 100 − (late × L + gaps × G + missing × M) / n)
    spot      = the mean of Score.total (0–100) of the samples whose activity is in the group
    quality   = w × spot + (1 − w) × automatic     when the group has spot-check scores
              = automatic                          when it has none
    A group without activities has no score (shown as —).

Who a figure belongs to: an activity belongs to the unit that carried it out (not the units
above it) and to the month (local) it started in. For an officer, each activity he took part
in counts, and so do its spot-check scores (the checklist judges how the activity was done);
a finding counts against the officer it names (the engine names the one whose device or
recording it is about) or, naming nobody or someone not of the activity, against the
activity's first officer, as the engine itself does.

The weights of a group are those of the profile that governs most of its activities (ties:
the profile code first in order); a unit without a profile counts with the schema's defaults.
Figures are counted over the units in the viewer's scope (X2), confidential activities
included: a score shows no activity's content, and it must not change with who reads it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from avrecords.compliance.models import (
    Activity,
    ActivityRecording,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.org.models import Unit, User
from avrecords.org.scope import subtree_unit_ids
from avrecords.policies.schema import Quality, Supervision
from avrecords.policies.services import profile_for_unit
from avrecords.supervision.models import Score
from avrecords.supervision.review import can_review

MAX_PERIOD_MONTHS = 60  # five annual evaluations side by side; longer is a typing error
BY = {"unit": "按单位", "officer": "按执法人员", "month": "按月份"}

# Which findings count (see the module's docstring).
GAP_KINDS = (FindingKind.GAP, FindingKind.UNCOVERED)
GAP_COUNTED = (FindingStatus.OPEN, FindingStatus.ESCALATED)
MISSING_NOT_COUNTED = (FindingStatus.EXEMPTED, FindingStatus.CLEARED)

FORMULA = (
    "自动核查得分 = max(0, 100 − (逾期存储活动数 × 逾期存储扣分 + 未说明中断数 × 中断扣分 "
    "+ 应记录未记录活动数 × 未记录扣分) ÷ 执法活动数)；"
    "质量得分 = 抽查权重 × 抽查平均分 + (1 − 抽查权重) × 自动核查得分（无抽查评分时为自动核查得分）"
)


def can_view_quality(user) -> bool:
    """The dashboard, its reports and the scores API: whoever may review (supervisors, unit
    heads, leaders; system administrators)."""
    return can_review(user)


# --- the formula --------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """The profile's `supervision.quality`, as plain numbers."""

    spot_check_weight: float
    late_ingest_points: float
    unexplained_gap_points: float
    missing_recording_points: float

    @classmethod
    def of(cls, quality: Quality) -> Weights:
        return cls(
            quality.spot_check_weight,
            quality.late_ingest_points,
            quality.unexplained_gap_points,
            quality.missing_recording_points,
        )


# A unit without a profile counts with the schema's own defaults.
DEFAULT_WEIGHTS = Weights.of(Supervision.model_fields["quality"].default)


@dataclass(frozen=True)
class Figures:
    """One group's numbers and its scores (None where there is nothing to score)."""

    activities: int
    late: int
    gaps: int
    missing: int
    spot_count: int
    spot_mean: float | None
    late_rate: float | None
    deduction: float | None  # points taken off per activity
    automatic: float | None
    quality: float | None
    weights: Weights

    @property
    def late_percent(self) -> float | None:
        return None if self.late_rate is None else self.late_rate * 100


def score(
    *,
    activities: int,
    late: int,
    gaps: int,
    missing: int,
    spot_scores: Sequence[float] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> Figures:
    """The quality score of a group of activities (the formula of the module's docstring)."""
    spot_count = len(spot_scores)
    spot_mean = sum(spot_scores) / spot_count if spot_count else None
    if activities <= 0:
        return Figures(
            0, late, gaps, missing, spot_count, spot_mean, None, None, None, None, weights
        )
    w = weights
    deduction = (
        late * w.late_ingest_points
        + gaps * w.unexplained_gap_points
        + missing * w.missing_recording_points
    ) / activities
    automatic = max(0.0, 100.0 - deduction)
    if spot_mean is None:
        quality = automatic
    else:
        quality = w.spot_check_weight * spot_mean + (1 - w.spot_check_weight) * automatic
    return Figures(
        activities,
        late,
        gaps,
        missing,
        spot_count,
        spot_mean,
        late / activities,
        deduction,
        automatic,
        quality,
        weights,
    )


# --- the period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def months(self) -> list[tuple[int, int]]:
        out, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[local midnight of start, local midnight after end) as aware moments."""
        first = timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))
        after = timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )
        return first, after


def this_year(today: dt.date | None = None) -> Period:
    """The default period: from 1 January to today."""
    today = today or timezone.localdate()
    return Period(dt.date(today.year, 1, 1), today)


def _date(value: str, label: str, errors: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"{label}：应为日期，如 2026-01-01")
        return None


def check_period(start: dt.date, end: dt.date) -> list[str]:
    if end < start:
        return ["截止日期早于起始日期"]
    if len(Period(start, end).months()) > MAX_PERIOD_MONTHS:
        return [f"统计期间不应超过 {MAX_PERIOD_MONTHS} 个月"]
    return []


def read_period(params: Mapping, today: dt.date | None = None) -> tuple[Period, list[str]]:
    """The period of a page's `start` and `end`. Without either: this year to date; with only
    a start: to the end of its year (or today); with only an end: from the start of its year.
    On errors: this year to date, and the errors to show."""
    default = this_year(today)
    errors: list[str] = []
    start = _date(params["start"], "起始日期", errors) if params.get("start") else None
    end = _date(params["end"], "截止日期", errors) if params.get("end") else None
    if errors:
        return default, errors
    if start is None:
        start = dt.date(end.year, 1, 1) if end else default.start
    if end is None:
        end = dt.date(start.year, 12, 31)
        if start <= default.end < end:
            end = default.end
    errors = check_period(start, end)
    return (default, errors) if errors else (Period(start, end), [])


# --- gathering the numbers ----------------------------------------------------------------


@dataclass
class ActivityFacts:
    """What one activity contributes (the query layer's output, the groups' input)."""

    pk: int
    unit_id: int
    month: tuple[int, int]
    officers: tuple[int, ...]  # ordered by id: the first is the engine's default
    late_by: set[int] = field(default_factory=set)  # officers (or 0) charged with a late ingest
    gaps_by: Counter = field(default_factory=Counter)  # officer (or 0) → unexplained gaps
    missing_by: int | None = None  # officer (or 0) charged with the missing recording
    scores: list[float] = field(default_factory=list)

    def charge(self, named: int | None) -> int:
        if named in self.officers:
            return named
        return self.officers[0] if self.officers else 0


def scope_units(user, unit: Unit | None = None) -> list[int]:
    """Ids of the units counted: the user's scope, or the chosen unit's subtree within it."""
    allowed = set(Unit.objects.visible_to(user).values_list("pk", flat=True))
    if unit is None:
        return sorted(allowed)
    return sorted(allowed & set(subtree_unit_ids(unit)))


def gather(unit_ids: Iterable[int], period: Period) -> list[ActivityFacts]:
    """The facts of every activity of these units started within the period."""
    first, after = period.bounds()
    acts = Activity.objects.filter(
        unit_id__in=list(unit_ids), started_at__gte=first, started_at__lt=after
    )
    ids = acts.values("pk")
    officers: dict[int, list[int]] = defaultdict(list)
    through = Activity.officers.through.objects.filter(activity_id__in=ids)
    for activity_id, user_id in through.values_list("activity_id", "user_id").order_by("user_id"):
        officers[activity_id].append(user_id)
    facts: dict[int, ActivityFacts] = {}
    for pk, unit_id, started in acts.values_list("pk", "unit_id", "started_at"):
        local = timezone.localtime(started)
        facts[pk] = ActivityFacts(pk, unit_id, (local.year, local.month), tuple(officers[pk]))
    own = Finding.objects.filter(activity_id__in=ids, kind__in=[*GAP_KINDS, FindingKind.MISSING])
    for activity_id, kind, status, officer_id in own.values_list(
        "activity_id", "kind", "status", "officer_id"
    ):
        a = facts[activity_id]
        if kind in GAP_KINDS and status in GAP_COUNTED:
            a.gaps_by[a.charge(officer_id)] += 1
        elif kind == FindingKind.MISSING and status not in MISSING_NOT_COUNTED:
            a.missing_by = a.charge(officer_id)
    links = ActivityRecording.objects.filter(activity_id__in=ids, excluded=False)
    late: dict[int, list[int | None]] = defaultdict(list)
    late_rows = (
        Finding.objects.filter(
            kind=FindingKind.LATE_INGEST, recording_id__in=links.values("recording_id")
        )
        .exclude(status=FindingStatus.CLEARED)
        .values_list("recording_id", "officer_id")
    )
    for recording_id, officer_id in late_rows:
        late[recording_id].append(officer_id)
    for activity_id, recording_id in links.values_list("activity_id", "recording_id"):
        a = facts[activity_id]
        a.late_by |= {a.charge(officer_id) for officer_id in late.get(recording_id, ())}
    for activity_id, total in Score.objects.filter(sample__activity_id__in=ids).values_list(
        "sample__activity_id", "total"
    ):
        facts[activity_id].scores.append(total)
    return sorted(facts.values(), key=lambda a: a.pk)


# --- grouping -----------------------------------------------------------------------------


@dataclass
class _Tally:
    activities: int = 0
    late: int = 0
    gaps: int = 0
    missing: int = 0
    scores: list[float] = field(default_factory=list)
    profiles: Counter = field(default_factory=Counter)  # profile code → activities

    def add(self, a: ActivityFacts, profile: str, *, officer: int | None = None) -> None:
        self.activities += 1
        self.profiles[profile] += 1
        self.scores += a.scores
        if officer is None:
            self.late += bool(a.late_by)
            self.gaps += sum(a.gaps_by.values())
            self.missing += a.missing_by is not None
        else:
            self.late += officer in a.late_by
            self.gaps += a.gaps_by[officer]
            self.missing += a.missing_by == officer

    def figures(self, weights: Mapping[str, Weights]) -> Figures:
        code = min(self.profiles, key=lambda c: (-self.profiles[c], c)) if self.profiles else ""
        return score(
            activities=self.activities,
            late=self.late,
            gaps=self.gaps,
            missing=self.missing,
            spot_scores=self.scores,
            weights=weights.get(code, DEFAULT_WEIGHTS),
        )


@dataclass(frozen=True)
class Row:
    key: str  # the officer's or unit's id, or "2026-03"
    label: str
    unit: str  # an officer's unit; a unit's parent; empty for a month
    figures: Figures


class _Profiles:
    """Each unit's profile code and weights, looked up once."""

    def __init__(self) -> None:
        self.code: dict[int, str] = {}
        self.weights: dict[str, Weights] = {}

    def of(self, unit_id: int) -> str:
        if unit_id not in self.code:
            profile = profile_for_unit(Unit.objects.get(pk=unit_id))
            code = profile.code if profile is not None else ""
            if profile is not None:
                self.weights[code] = Weights.of(profile.supervision.quality)
            self.code[unit_id] = code
        return self.code[unit_id]


def group(facts: Sequence[ActivityFacts], by: str, period: Period) -> list[Row]:
    """The rows of one table: per unit (by path), per officer (by unit, name), per month (every
    month of the period, empty ones too)."""
    profiles = _Profiles()
    tallies: dict[object, _Tally] = defaultdict(_Tally)
    for a in facts:
        code = profiles.of(a.unit_id)
        if by == "unit":
            tallies[a.unit_id].add(a, code)
        elif by == "month":
            tallies[a.month].add(a, code)
        else:
            for officer in a.officers:
                tallies[officer].add(a, code, officer=officer)
    if by == "month":
        return [
            Row(f"{y}-{m:02d}", f"{y}年{m}月", "", tallies[(y, m)].figures(profiles.weights))
            for y, m in period.months()
        ]
    if by == "unit":
        units = Unit.objects.filter(pk__in=tallies).select_related("parent").order_by("path")
        return [
            Row(
                str(u.pk),
                u.name,
                u.parent.name if u.parent_id else "",
                tallies[u.pk].figures(profiles.weights),
            )
            for u in units
        ]
    people = User.objects.filter(pk__in=tallies).select_related("unit")
    people = sorted(people, key=lambda p: (p.unit.path if p.unit_id else "~", p.display_name))
    return [
        Row(
            str(p.pk),
            p.display_name,
            p.unit.name if p.unit_id else "",
            tallies[p.pk].figures(profiles.weights),
        )
        for p in people
    ]


def total(facts: Sequence[ActivityFacts]) -> Figures:
    """The figures of every activity counted, as one group."""
    profiles = _Profiles()
    tally = _Tally()
    for a in facts:
        tally.add(a, profiles.of(a.unit_id))
    return tally.figures(profiles.weights)


@dataclass(frozen=True)
class Report:
    """What the dashboard shows and the 执法质量考评 exports print."""

    period: Period
    scope: str  # the units counted, in words
    total: Figures
    by_unit: list[Row]
    by_officer: list[Row]
    by_month: list[Row]


def scope_label(user, unit: Unit | None) -> str:
    """The units counted, in words: the chosen unit, or the tops of the user's scope."""
    if unit is not None:
        return f"{unit.name}及下级单位"
    units = list(Unit.objects.visible_to(user))
    paths = [u.path for u in units]
    tops = [u.name for u in units if not any(u.path.startswith(p) and u.path != p for p in paths)]
    return "、".join(tops) or "无"


def rows(user, period: Period, by: str, unit: Unit | None = None) -> list[Row]:
    return group(gather(scope_units(user, unit), period), by, period)


def report(user, period: Period, unit: Unit | None = None) -> Report:
    facts = gather(scope_units(user, unit), period)
    return Report(
        period,
        scope_label(user, unit),
        total(facts),
        group(facts, "unit", period),
        group(facts, "officer", period),
        group(facts, "month", period),
    )
