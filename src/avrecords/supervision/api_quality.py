"""JSON API for quality scores (S2) and online review (S1), scoped like the pages (X2):
supervisors the units they supervise, unit heads and leaders their subtree, system
administrators everything; any other role is refused (403).

`GET /supervision/quality?start=&end=&by=officer|unit|month` gives the scores of the
执法质量考评 (the formula is `supervision.quality`'s, repeated in the answer);
`GET /supervision/review/activities` the activities a supervisor may review, with the same
filters as the review page."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Query, Router, Schema

from avrecords.compliance.models import Activity
from avrecords.lib import refusals
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.refusals import require
from avrecords.org.models import Unit
from avrecords.supervision import filters as review_filters
from avrecords.supervision import quality, review

router = Router(tags=["执法监督"])
NO_ROLE = "无权查看执法监督：仅监督人员、单位负责人、分管领导和系统管理员"


def _invalid(errors: list[str]) -> refusals.Invalid:
    return refusals.Invalid("参数无效：" + "；".join(errors), reasons=errors)


# --- quality scores -----------------------------------------------------------------------


class WeightsOut(Schema):
    spot_check_weight: float
    late_ingest_points: float
    unexplained_gap_points: float
    missing_recording_points: float


class FiguresOut(Schema):
    activities: int
    late: int  # activities with a recording ingested late
    late_rate: float | None  # late / activities
    gaps: int  # unexplained interruptions
    missing: int  # activities that had to be recorded and were not
    spot_count: int
    spot_mean: float | None
    deduction: float | None  # points taken off per activity
    automatic: float | None  # max(0, 100 − deduction)
    quality: float | None  # w × spot_mean + (1 − w) × automatic, or automatic alone
    weights: WeightsOut


class RowOut(Schema):
    key: str  # officer or unit id, or "2026-03"
    label: str
    unit: str  # an officer's unit, a unit's parent; empty for a month
    figures: FiguresOut


class QualityOut(Schema):
    start: dt.date
    end: dt.date
    by: str
    scope: str
    formula: str
    total: FiguresOut
    rows: list[RowOut]


class QualityQuery(Schema):
    start: dt.date | None = None  # default 1 January of this year
    end: dt.date | None = None  # default today
    by: Literal["officer", "unit", "month"] = "unit"
    unit: int | None = None  # the unit and the units below it


@router.get(
    "/supervision/quality",
    response={200: QualityOut, 401: Error, 403: Error, 422: Invalid},
    summary="执法质量得分（按执法人员、单位或月份）",
)
def quality_scores(request, q: Query[QualityQuery]):
    user = request.user
    require(quality.can_view_quality(user), NO_ROLE)
    params = {"start": q.start and q.start.isoformat(), "end": q.end and q.end.isoformat()}
    period, errors = quality.read_period(params)
    unit = None
    if q.unit is not None:
        unit = Unit.objects.visible_to(user).filter(pk=q.unit).first()
        if unit is None:
            errors.append("单位：不存在或不在您的监督范围内")
    if errors:
        raise _invalid(errors)
    facts = quality.gather(quality.scope_units(user, unit), period)
    return {
        "start": period.start,
        "end": period.end,
        "by": q.by,
        "scope": quality.scope_label(user, unit),
        "formula": quality.FORMULA,
        "total": quality.total(facts),
        "rows": quality.group(facts, q.by, period),
    }


# --- online review ------------------------------------------------------------------------


class ReviewActivityOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    kind: str
    kind_name: str
    must_record: bool
    party: str
    place: str
    started_at: dt.datetime
    ended_at: dt.datetime
    officer_ids: list[int]
    officers: list[str]
    document_name: str
    document_started_at: dt.datetime | None
    document_ended_at: dt.datetime | None
    case_id: int | None
    case_number: str
    finding_count: int  # findings that still hold, its recordings' late ingests included

    @staticmethod
    def resolve_unit_name(obj: Activity) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_officer_ids(obj: Activity) -> list[int]:
        return [o.pk for o in obj.officers.all()]

    @staticmethod
    def resolve_officers(obj: Activity) -> list[str]:
        return [o.display_name for o in obj.officers.all()]


class ReviewPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ReviewActivityOut]


class ReviewQuery(Schema):
    unit: int | None = None  # the unit and the units below it
    officer: int | None = None
    date_from: dt.date | None = None  # local dates, both included
    date_to: dt.date | None = None
    kind: str | None = None  # activity type code
    has_findings: bool | None = None
    page: PageNumber = 1


@router.get(
    "/supervision/review/activities",
    response={200: ReviewPage, 401: Error, 403: Error, 422: Invalid},
    summary="在线监督：可查看的执法活动",
)
def review_activities(request, q: Query[ReviewQuery]):
    user = request.user
    require(review.can_review(user), NO_ROLE)
    data = q.dict()
    page = max(data.pop("page"), 1)
    qs, errors = review_filters.filter_review(user, data)
    if errors:
        raise _invalid(errors)
    size = settings.AVRECORDS_PAGE_SIZE
    results = list(qs[(page - 1) * size : page * size])
    counts = review.finding_counts(results)
    for a in results:
        a.finding_count = counts[a.pk]
    return {"count": qs.count(), "page": page, "page_size": size, "results": results}
