"""JSON API for retention (M5) and legal holds (S1), scoped like the pages (X2): an object
outside the user's units is answered 404 like one that does not exist.

A petition or litigation system places a hold on a case or an activity (`POST /holds`) and
asks for its release when the matter ends (`POST /holds/{id}/release`); the profile's approver
decides (`…/release/approve|reject`). Purging goes through the same guarded service as the
disposal job: anything not reviewed, approved, due and free of holds is refused with 409, the
refusal audited (`retention.purge`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import NotFound, require
from avrecords.policies.schema import FACTS
from avrecords.recordings.models import Recording
from avrecords.retention import approvals, disposal, holds, purge, services
from avrecords.retention import filters as retention_filters
from avrecords.retention.approvals import RefusedInput
from avrecords.retention.models import (
    DestructionRecord,
    DisposalList,
    LegalHold,
    RecordingRetention,
)

router = Router(tags=["保存期限"])
AUTH_ERRORS = {401: Error, 403: Error, 404: Error}
NO_READ = "无权查看保存期限"
NO_PURGE = "无权清除：须由规定的审批人（如分管领导）办理"
ITEMS_SHOWN = 2000


def _page(qs, page: int) -> list:
    size = settings.AVRECORDS_PAGE_SIZE
    page = max(page, 1)
    return list(qs[(page - 1) * size : page * size])


# --- a recording's retention ------------------------------------------------------------


class FactOut(Schema):
    code: str
    label: str
    source: str  # where it comes from: 案卷 …, 证据导出 …, 法律保全 …, or the note by hand


class HoldRef(Schema):
    id: int
    number: str
    kind: str
    status: str


class RetentionOut(Schema):
    recording_id: int
    classified: bool  # false: the unit has no profile yet, no date runs
    profile_code: str | None
    category: str | None
    category_name: str | None
    keep: str | None  # years, months, with_case, permanent
    keep_until: dt.date | None  # null: permanent, or pending until the case file is filed
    pending: bool
    held: bool
    held_days: int  # days of released holds added to the date
    cite: str
    reason: str  # "永久保存：000§20(1)，被投诉（法律保全 BQ-…）" as the recording page says
    facts: list[FactOut]
    holds: list[HoldRef]
    purged_at: dt.datetime | None


@router.get(
    "/retention/recordings/{int:recording_id}",
    response={200: RetentionOut, **AUTH_ERRORS},
    summary="音像记录的保存期限",
)
def get_retention(request, recording_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    row = RecordingRetention.objects.filter(recording=recording).first()
    found, _, _ = services.gather_facts(recording)
    return {
        "recording_id": recording.pk,
        "classified": row is not None,
        "profile_code": row.profile_code if row else None,
        "category": row.category if row else None,
        "category_name": row.category_name if row else None,
        "keep": row.keep if row else None,
        "keep_until": row.keep_until if row else None,
        "pending": row.pending if row else False,
        "held": row.held if row else False,
        "held_days": row.held_days if row else 0,
        "cite": row.cite if row else "",
        "reason": services.describe(row),
        "facts": [
            {"code": code, "label": FACTS.get(code, code), "source": source}
            for code, source in found.items()
        ],
        "holds": list(services.holds_covering(recording)),
        "purged_at": recording.purged_at,
    }


class PurgeOut(Schema):
    recording_id: int
    outcome: str  # purged, or skipped if the store itself refused
    purged_at: dt.datetime | None


def _may_purge(user, unit) -> bool:
    return unit is not None and approvals.may_decide(user, unit, "approved_by", None)


@router.post(
    "/retention/recordings/{int:recording_id}/purge",
    response={200: PurgeOut, 409: Error, **AUTH_ERRORS},
    summary="按保存期限清除一条音像记录（须已列入经复核、批准的清除清单）",
)
def purge_recording(request, recording_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    require(_may_purge(request.user, recording.unit), NO_PURGE)
    outcome = purge.purge_recording(request.user, recording, path="api", ip=client_ip(request))
    recording.refresh_from_db()
    return {"recording_id": recording.pk, "outcome": outcome, "purged_at": recording.purged_at}


# --- legal holds ------------------------------------------------------------------------


class HoldOut(Schema):
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    unit_id: int
    unit_name: str
    case_id: int | None
    case_number: str | None
    activity_id: int | None
    reference: str
    reason: str
    placed_by: str
    placed_at: dt.datetime
    release_reason: str
    release_requested_by: str | None
    release_requested_at: dt.datetime | None
    released_by: str | None
    released_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: LegalHold) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj: LegalHold) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_unit_name(obj: LegalHold) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_case_number(obj: LegalHold) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_placed_by(obj: LegalHold) -> str:
        return obj.placed_by.display_name

    @staticmethod
    def resolve_release_requested_by(obj: LegalHold) -> str | None:
        return obj.release_requested_by.display_name if obj.release_requested_by_id else None

    @staticmethod
    def resolve_released_by(obj: LegalHold) -> str | None:
        return obj.released_by.display_name if obj.released_by_id else None


class HoldDetailOut(HoldOut):
    recording_ids: list[int]  # gathered now, those the user may see


class HoldQuery(Schema):
    status: str | None = None  # active, release_pending, released
    page: PageNumber = 1


class HoldIn(Schema):
    kind: str  # complaint, petition, reconsideration, litigation
    reason: str
    case: int | None = None  # one of case and activity
    activity: int | None = None
    reference: str = ""  # 来文编号


class ReleaseIn(Schema):
    reason: str


class CommentIn(Schema):
    comment: str = ""


def _hold(request, hold_id: int) -> LegalHold:
    return LegalHold.objects.get_visible(request.user, hold_id)


def _with_recordings(request, hold: LegalHold) -> LegalHold:
    ids = set(holds.gathered(hold)) | set(hold.recordings.values_list("pk", flat=True))
    hold.recording_ids = list(
        Recording.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
    )
    return hold


@router.get(
    "/holds",
    response={200: list[HoldOut], 401: Error, 403: Error, 422: Invalid},
    summary="法律保全",
)
def list_holds(request, filters: Query[HoldQuery]):
    require(approvals.can_read(request.user), NO_READ)
    qs, errors = retention_filters.filter_holds(
        LegalHold.objects.visible_to(request.user), filters.dict()
    )
    refuse(errors)
    return _page(qs, filters.page)


@router.post(
    "/holds",
    response={201: HoldDetailOut, 401: Error, 403: Error, 422: Invalid},
    summary="采取法律保全（投诉、信访、行政复议、行政诉讼）",
)
def place_hold(request, body: HoldIn):
    user = request.user
    require(approvals.can_place_hold(user), "无权采取法律保全")
    errors = []
    case = activity = None
    if body.case is not None:
        case = Case.objects.visible_to(user).filter(pk=body.case).first()
        if case is None:
            errors.append("案卷不存在或不在您的权限范围内")
    if body.activity is not None:
        activity = Activity.objects.visible_to(user).filter(pk=body.activity).first()
        if activity is None:
            errors.append("执法活动不存在或不在您的权限范围内")
    if body.case is not None and body.activity is not None:
        errors.append("请只指定一个案卷或一个执法活动")
    if errors:
        raise RefusedInput(errors)
    hold = holds.place(
        user,
        kind=body.kind,
        reason=body.reason,
        case=case,
        activity=activity,
        reference=body.reference,
        ip=client_ip(request),
    )
    return Status(201, _with_recordings(request, hold))


@router.get(
    "/holds/{int:hold_id}", response={200: HoldDetailOut, **AUTH_ERRORS}, summary="一项法律保全"
)
def get_hold(request, hold_id: int):
    return _with_recordings(request, _hold(request, hold_id))


def _hold_step(request, hold_id: int, allowed, act, denied: str):
    hold = _hold(request, hold_id)
    require(allowed(request.user, hold), denied)
    return _with_recordings(request, act(hold))


def _may_decide_release(user, hold: LegalHold) -> bool:
    return approvals.may_decide(user, hold.unit, "approved_by", hold.release_requested_by_id)


@router.post(
    "/holds/{int:hold_id}/release",
    response={200: HoldDetailOut, 409: Error, **AUTH_ERRORS, 422: Invalid},
    summary="申请解除法律保全",
)
def request_release(request, hold_id: int, body: ReleaseIn):
    return _hold_step(
        request,
        hold_id,
        lambda user, hold: approvals.can_place_hold(user, hold.unit),
        lambda hold: holds.request_release(request.user, hold, body.reason, ip=client_ip(request)),
        "无权申请解除该法律保全",
    )


@router.post(
    "/holds/{int:hold_id}/release/approve",
    response={200: HoldDetailOut, 409: Error, **AUTH_ERRORS},
    summary="批准解除法律保全（保全天数计入保存期限）",
)
def approve_release(request, hold_id: int):
    return _hold_step(
        request,
        hold_id,
        _may_decide_release,
        lambda hold: holds.approve_release(request.user, hold, ip=client_ip(request)),
        "无权审批解除该法律保全：须由规定的审批人办理，且不能审批本人的申请",
    )


@router.post(
    "/holds/{int:hold_id}/release/reject",
    response={200: HoldDetailOut, 409: Error, **AUTH_ERRORS, 422: Invalid},
    summary="不同意解除法律保全",
)
def reject_release(request, hold_id: int, body: CommentIn | None = None):
    comment = body.comment if body else ""
    return _hold_step(
        request,
        hold_id,
        _may_decide_release,
        lambda hold: holds.reject_release(request.user, hold, comment, ip=client_ip(request)),
        "无权审批解除该法律保全：须由规定的审批人办理，且不能审批本人的申请",
    )


# --- disposal lists and destruction records ---------------------------------------------


class DisposalOut(Schema):
    id: int
    number: str
    unit_id: int
    unit_name: str
    profile_code: str
    review_each: bool
    status: str
    status_label: str
    created_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None
    comment: str
    finished_at: dt.datetime | None
    counts: dict[str, int]  # total, purge, keep, undecided, purged, skipped

    @staticmethod
    def resolve_unit_name(obj: DisposalList) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj: DisposalList) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_reviewed_by(obj: DisposalList) -> str | None:
        return obj.reviewed_by.display_name if obj.reviewed_by_id else None

    @staticmethod
    def resolve_approved_by(obj: DisposalList) -> str | None:
        return obj.approved_by.display_name if obj.approved_by_id else None

    @staticmethod
    def resolve_counts(obj: DisposalList) -> dict[str, int]:
        return disposal.counts(obj)


class ItemOut(Schema):
    id: int
    recording_id: int | None  # None, and no name: a recording the user may not see (M9)
    original_name: str
    keep_until: dt.date
    category_name: str
    decision: str  # "", purge, keep
    keep_fact: str
    keep_reason: str
    outcome: str  # "", purging, purged, kept, skipped
    note: str

    @staticmethod
    def resolve_recording_id(obj) -> int | None:
        return obj.recording_id if obj.recording_shown else None

    @staticmethod
    def resolve_original_name(obj) -> str:
        return obj.recording.original_name if obj.recording_shown else ""


class DisposalDetailOut(DisposalOut):
    items: list[ItemOut]  # the first 2000

    @staticmethod
    def resolve_items(obj: DisposalList, context) -> list:
        return list(disposal.items_for(context["request"].user, obj)[:ITEMS_SHOWN])


class DisposalQuery(Schema):
    status: str | None = None
    page: PageNumber = 1


class PurgeListOut(Schema):
    disposal: DisposalOut
    tally: dict[str, int]  # purged, skipped


def _disposal(request, disposal_id: int) -> DisposalList:
    found = (
        DisposalList.objects.visible_to(request.user)
        .select_related("unit", "reviewed_by", "approved_by")
        .filter(pk=disposal_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@router.get(
    "/disposals",
    response={200: list[DisposalOut], 401: Error, 403: Error, 422: Invalid},
    summary="到期清除清单",
)
def list_disposals(request, filters: Query[DisposalQuery]):
    require(approvals.can_read(request.user), NO_READ)
    qs = DisposalList.objects.visible_to(request.user).select_related(
        "unit", "reviewed_by", "approved_by"
    )
    qs, errors = retention_filters.filter_disposals(qs, filters.dict())
    refuse(errors)
    return _page(disposal.with_counts(qs), filters.page)


@router.get(
    "/disposals/{int:disposal_id}",
    response={200: DisposalDetailOut, **AUTH_ERRORS},
    summary="一份清除清单及其条目",
)
def get_disposal(request, disposal_id: int):
    return _disposal(request, disposal_id)


@router.post(
    "/disposals/{int:disposal_id}/purge",
    response={200: PurgeListOut, 409: Error, **AUTH_ERRORS},
    summary="立即清除已批准的清除清单（通常由后台任务执行）",
)
def purge_list(request, disposal_id: int):
    found = _disposal(request, disposal_id)
    require(_may_purge(request.user, found.unit), NO_PURGE)
    tally = purge.run_list(found, actor=request.user, path="api")
    found.refresh_from_db()
    return {"disposal": found, "tally": tally}


class RecordOut(Schema):
    id: int
    number: str
    recording_id: int
    original_name: str
    sha256: str
    size_bytes: int
    started_at: dt.datetime
    ended_at: dt.datetime
    ingested_at: dt.datetime
    officer: str
    unit_name: str
    device: str
    category_name: str
    cite: str
    keep_until: dt.date
    reviewed_by: str
    approved_by: str
    derivatives: list[dict]
    begun_at: dt.datetime
    purged_at: dt.datetime | None


class RecordQuery(Schema):
    purged_from: dt.date | None = None
    purged_to: dt.date | None = None
    q: str | None = None  # in the number, file name, officer or unit; or a SHA-256 prefix
    page: PageNumber = 1


@router.get(
    "/destruction-records",
    response={200: list[RecordOut], 401: Error, 403: Error, 422: Invalid},
    summary="清除记录",
)
def list_records(request, filters: Query[RecordQuery]):
    require(approvals.can_read(request.user), NO_READ)
    qs, errors = retention_filters.filter_records(
        DestructionRecord.objects.visible_to(request.user), filters.dict()
    )
    refuse(errors)
    return _page(qs.order_by("-purged_at", "-pk"), filters.page)
