"""JSON API for spot-check campaigns and their scoring (S2, S3), scoped like the pages (X2).

As on the pages: reading first (403: only supervisors, unit heads, leaders and system
administrators read campaigns), then scope (a campaign or sample outside the user's units is
answered 404 like one that does not exist), then the act (403: supervisors create, draw,
close and score; system administrators all but score).

A supervisor's tool creates a campaign (`POST /campaigns`), draws its sample once
(`POST /campaigns/{id}/draw`: 409 when drawn already or when the period has no activities),
anyone who reads it may recompute the draw from the stored seed (`…/recheck`), reviewers
score samples (`POST /samples/{id}/score`) and the campaign is closed (`…/close`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from ninja import Query, Router, Schema, Status

from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Conflict, require
from avrecords.org.models import Unit
from avrecords.supervision import campaigns, scoring
from avrecords.supervision import filters as campaign_filters
from avrecords.supervision.campaigns import CampaignInput, CampaignInvalid
from avrecords.supervision.models import Campaign, CampaignStatus, Sample
from avrecords.supervision.scoring import NoteInput, ScoreError, ScoreInput

router = Router(tags=["执法监督抽查"])
AUTH_ERRORS = {401: Error, 403: Error, 404: Error}
NO_READ = "无权查看执法监督抽查"


# --- shapes -----------------------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    code: str
    name: str


class CampaignOut(Schema):
    id: int
    number: str
    kind: str  # spot_check 抽查, annual_review 年度评查
    kind_label: str
    title: str
    period_start: dt.date
    period_end: dt.date
    units: list[UnitRef]
    ratio: float  # 0 < ratio ≤ 1
    ratio_cite: str  # the profile's article and note, or who set it
    seed: str  # as text: 63 bits are more than a JavaScript number holds exactly
    profile_code: str
    status: str  # draft 未抽样, scoring 评分中, closed 已结束
    status_label: str
    population: int
    drawn_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_by_id: int
    created_at: dt.datetime
    note: str
    samples: int
    scored: int

    @staticmethod
    def resolve_kind_label(obj: Campaign) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_units(obj: Campaign) -> list:
        return list(obj.units.all())

    @staticmethod
    def resolve_seed(obj: Campaign) -> str:
        return str(obj.seed)

    @staticmethod
    def resolve_status_label(obj: Campaign) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_samples(obj: Campaign) -> int:
        if hasattr(obj, "sample_count"):  # annotated by the list: one query a page
            return obj.sample_count
        return obj.samples.count()

    @staticmethod
    def resolve_scored(obj: Campaign) -> int:
        if hasattr(obj, "scored_count"):
            return obj.scored_count
        return obj.samples.filter(score__isnull=False).count()


class SampleOut(Schema):
    id: int
    campaign_id: int
    order: int
    activity_id: int
    unit_id: int  # the stratum: (unit, first officer)
    officer_id: int | None
    total: float | None  # null: not scored yet

    @staticmethod
    def resolve_total(obj: Sample) -> float | None:
        score = getattr(obj, "score", None)
        return score.total if score is not None else None


class CampaignDetailOut(CampaignOut):
    sample_list: list[SampleOut]  # those the user may see


class CampaignPage(Schema):
    count: int
    page: int
    page_size: int
    reviews_due: list[UnitRef]  # agencies whose year's review is due and not organised
    results: list[CampaignOut]


class CampaignQuery(Schema):
    status: str | None = None
    kind: str | None = None
    page: PageNumber = 1


class CampaignIn(Schema):
    kind: str  # spot_check or annual_review
    title: str
    period_start: dt.date
    period_end: dt.date
    units: list[str]  # 单位代码
    ratio: float | None = None  # 0 < ratio ≤ 1; default: the first unit's profile
    note: str = ""


class DrawOut(Schema):
    population: int
    strata: int
    sampled: list[int]  # activity ids, in the stored order
    campaign: CampaignDetailOut


class RecheckOut(Schema):
    ok: bool
    seed_ok: bool
    message: str
    expected: list[int]
    stored: list[int]
    population: int
    added_since: list[int]
    removed_since: list[int]


class CampaignCloseIn(Schema):
    reason: str = ""  # required while samples are unscored


class ChecklistItemOut(Schema):
    code: str
    name: str
    cite: str


class ScoreItemOut(Schema):
    code: str
    name: str
    cite: str
    passed: bool | None
    note: str


class NoteOut(Schema):
    recording_id: int
    at_seconds: int
    at: str
    text: str

    @staticmethod
    def resolve_at(obj) -> str:
        return scoring.format_time(obj.at_seconds)


class ScoreOut(Schema):
    reviewer_id: int
    total: float  # 100 × passed / items, one decimal
    comment: str
    items: list[ScoreItemOut]
    notes: list[NoteOut]
    scored_at: dt.datetime

    @staticmethod
    def resolve_notes(obj) -> list:
        return list(obj.notes.all())


class SampleFindingOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    summary: str
    cite: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class SampleDetailOut(SampleOut):
    activity_kind: str
    activity_started_at: dt.datetime
    activity_ended_at: dt.datetime
    checklist: list[ChecklistItemOut]
    findings: list[SampleFindingOut]  # the compliance engine's, beside the checklist
    recording_ids: list[int]  # the activity's recordings the user may see
    score: ScoreOut | None
    can_score: bool

    @staticmethod
    def resolve_score(obj: Sample):
        return getattr(obj, "score", None)  # none yet: the reverse accessor raises


class ScoreItemIn(Schema):
    code: str
    passed: bool
    note: str = ""


class NoteIn(Schema):
    recording_id: int
    at: str  # "02:13" (mm:ss) or "1:02:13"
    text: str


class ScoreIn(Schema):
    items: list[ScoreItemIn]
    comment: str = ""
    notes: list[NoteIn] = []


# --- campaigns ---------------------------------------------------------------------------------


def _campaign(request, campaign_id: int) -> Campaign:
    """Reading first (403), then scope (404)."""
    require(campaigns.can_read(request.user), NO_READ)
    return Campaign.objects.get_visible(request.user, campaign_id)


def _with_samples(request, campaign: Campaign) -> Campaign:
    campaign.sample_list = list(
        Sample.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("score")
        .order_by("order")
    )
    return campaign


@router.get(
    "/campaigns",
    response={200: CampaignPage, 401: Error, 403: Error, 422: Invalid},
    summary="抽查与评查",
)
def list_campaigns(request, filters: Query[CampaignQuery]):
    require(campaigns.can_read(request.user), NO_READ)
    qs, errors = campaign_filters.filter_campaigns(
        Campaign.objects.visible_to(request.user), filters.dict()
    )
    refuse(errors)
    size = settings.AVRECORDS_PAGE_SIZE
    page = max(filters.page, 1)
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "reviews_due": [d.unit for d in campaigns.reviews_due(request.user)],
        "results": list(
            qs.annotate(
                sample_count=Count("samples", distinct=True),
                scored_count=Count(
                    "samples", filter=Q(samples__score__isnull=False), distinct=True
                ),
            )
            # explicit: Django leaves Meta.ordering out of a query with GROUP BY
            .order_by(*(qs.query.order_by or Campaign._meta.ordering))[
                (page - 1) * size : page * size
            ]
        ),
    }


@router.post(
    "/campaigns",
    response={201: CampaignOut, 401: Error, 403: Error, 422: Invalid},
    summary="组织抽查或年度评查",
)
def create_campaign(request, body: CampaignIn):
    require(campaigns.can_manage(request.user), "无权组织抽查：仅监督人员")
    codes = list(dict.fromkeys(c.strip() for c in body.units))
    found = {u.code: u for u in Unit.objects.visible_to(request.user).filter(code__in=codes)}
    if missing := [c for c in codes if c not in found]:
        raise CampaignInvalid([f"单位代码“{c}”不存在或不在您的监督范围内" for c in missing])
    data = CampaignInput(
        kind=body.kind,
        title=body.title,
        period_start=body.period_start,
        period_end=body.period_end,
        units=[found[c] for c in codes],
        ratio=body.ratio,
        note=body.note,
    )
    return Status(201, campaigns.create_campaign(request.user, data, ip=client_ip(request)))


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignDetailOut, **AUTH_ERRORS},
    summary="一项抽查及其样本",
)
def get_campaign(request, campaign_id: int):
    return _with_samples(request, _campaign(request, campaign_id))


@router.post(
    "/campaigns/{int:campaign_id}/draw",
    response={200: DrawOut, **AUTH_ERRORS, 409: Error},
    summary="抽取样本（按存档的随机种子分层抽样，只能一次）",
)
def draw(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    require(campaigns.may_manage(request.user, campaign), "无权对该抽查抽取样本")
    drawn = campaigns.draw_sample(request.user, campaign, ip=client_ip(request))
    return {
        "population": drawn.population,
        "strata": drawn.strata,
        "sampled": drawn.sampled,
        "campaign": _with_samples(request, campaign),
    }


@router.post(
    "/campaigns/{int:campaign_id}/recheck",
    response={200: RecheckOut, **AUTH_ERRORS, 409: Error},
    summary="复核抽样（按存档的随机种子重新计算样本）",
)
def recheck(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    result = campaigns.redraw_check(request.user, campaign, ip=client_ip(request))
    return {**result.__dict__, "message": result.message}


@router.post(
    "/campaigns/{int:campaign_id}/close",
    response={200: CampaignOut, **AUTH_ERRORS, 409: Error, 422: Invalid},
    summary="结束抽查",
)
def close(request, campaign_id: int, body: CampaignCloseIn | None = None):
    campaign = _campaign(request, campaign_id)
    require(campaigns.may_manage(request.user, campaign), "无权结束该抽查")
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict("本次抽查已结束")
    reason = body.reason if body else ""
    return campaigns.close_campaign(request.user, campaign, reason, ip=client_ip(request))


# --- samples -------------------------------------------------------------------------------


def _sample(request, sample_id: int) -> Sample:
    """Reading first (403), then scope (404)."""
    require(campaigns.can_read(request.user), NO_READ)
    return Sample.objects.get_visible(request.user, sample_id)


def _sample_detail(request, sample: Sample) -> Sample:
    sample.activity_kind = sample.activity.kind_name
    sample.activity_started_at = sample.activity.started_at
    sample.activity_ended_at = sample.activity.ended_at
    sample.checklist = scoring.checklist(sample)
    sample.findings = list(scoring.findings(sample))
    sample.recording_ids = list(
        scoring.recordings(request.user, sample).values_list("pk", flat=True)
    )
    sample.can_score = (
        scoring.may_score(request.user, sample) and sample.campaign.status == CampaignStatus.SCORING
    )
    return sample


@router.get(
    "/samples/{int:sample_id}",
    response={200: SampleDetailOut, **AUTH_ERRORS},
    summary="一项样本：评查项目、自动发现的问题、评分",
)
def get_sample(request, sample_id: int):
    return _sample_detail(request, _sample(request, sample_id))


@router.post(
    "/samples/{int:sample_id}/score",
    response={200: SampleDetailOut, **AUTH_ERRORS, 409: Error, 422: Invalid},
    summary="评分",
)
def score(request, sample_id: int, body: ScoreIn):
    sample = _sample(request, sample_id)
    why = scoring.refusal(request.user, sample)
    require(not why, why)
    if sample.campaign.status != CampaignStatus.SCORING:
        raise Conflict(f"本次抽查{sample.campaign.get_status_display()}，不能评分")
    codes = [item.code for item in body.items]
    if len(codes) != len(set(codes)):
        raise ScoreError(["评查项目重复"])
    data = ScoreInput(
        passed={item.code: item.passed for item in body.items},
        item_notes={item.code: item.note for item in body.items},
        comment=body.comment,
        notes=tuple(NoteInput(n.recording_id, n.at, n.text) for n in body.notes),
    )
    scoring.score_sample(request.user, sample, data, ip=client_ip(request))
    sample = _sample(request, sample_id)
    return _sample_detail(request, sample)
