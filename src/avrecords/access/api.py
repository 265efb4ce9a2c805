"""JSON API for requests (M3, M6–M9): a case system or a script submits a request, approvers
decide it, the administrator carries it out. Nothing here bypasses approval. The package of
an executed export is downloaded through evidence's API (`evidence.api`), at an address under
the request."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from ninja import Query, Router, Schema, Status

from avrecords.access import filters as request_filters
from avrecords.access import requests as svc
from avrecords.access.chain import may_decide_role
from avrecords.access.models import AccessRequest, ApprovalStep, RequestStatus
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import NotFound, require

router = Router(tags=["查阅与复制申请"])
AUTH = {401: Error, 403: Error, 404: Error}


class StepOut(Schema):
    index: int
    role: str
    approver: str
    decision: str
    comment: str
    at: dt.datetime

    @staticmethod
    def resolve_approver(obj) -> str:
        return obj.approver.display_name


class RequestOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    state: str
    requester: str
    unit: str
    reason: str
    days: int
    case_id: int | None
    activity_id: int | None
    recording_ids: list[int]
    recipient: str  # redacted: party / court / review_body / public
    redaction_ids: list[int]  # redacted: the signed-off copies given out
    with_redacted: bool  # export, preserve: signed-off redacted copies go in too
    chain: list[str]
    executed_by_role: str
    cite: str
    step: int
    steps: list[StepOut]
    created_at: dt.datetime
    executed_at: dt.datetime | None
    valid_until: dt.datetime | None
    package_state: str | None

    @staticmethod
    def resolve_state(obj: AccessRequest) -> str:
        return svc.state_label(obj)

    @staticmethod
    def resolve_requester(obj: AccessRequest) -> str:
        return obj.requester.display_name

    @staticmethod
    def resolve_unit(obj: AccessRequest) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_recording_ids(obj: AccessRequest) -> list[int]:
        return [r.pk for r in obj.recordings.all()]  # prefetched (_with_related)

    @staticmethod
    def resolve_redaction_ids(obj: AccessRequest) -> list[int]:
        return [r.pk for r in obj.redactions.all()]

    @staticmethod
    def resolve_steps(obj: AccessRequest):
        return list(obj.steps.all())

    @staticmethod
    def resolve_package_state(obj: AccessRequest) -> str | None:
        package = getattr(obj, "package", None)
        return package.state if package else None


class RequestIn(Schema):
    kind: str  # view / copy / export / preserve / redacted / mark
    reason: str
    days: int = 7
    recording_ids: list[int] = []
    case_id: int | None = None
    activity_id: int | None = None
    place: str = ""
    ground: str = ""
    mark: str = ""
    recipient: str = ""  # redacted: party / court / review_body / public
    redaction_ids: list[int] = []  # redacted: the signed-off copies to give out
    with_redacted: bool = False  # export, preserve: add the signed-off redacted copies


class DecisionIn(Schema):
    comment: str = ""


class RevokeIn(Schema):
    reason: str


class ListQuery(Schema):
    tab: str | None = None  # mine, approve (待我审批), execute (待我办理), all
    kind: str | None = None
    status: str | None = None
    mine: bool = False
    page: PageNumber = 1


def _with_related(qs):
    """What RequestOut reads, fetched for a whole page at once: as many queries for 50
    requests as for one (issue 22 §4)."""
    return qs.select_related("requester", "unit", "package").prefetch_related(
        "recordings",
        "redactions",
        Prefetch("steps", ApprovalStep.objects.select_related("approver")),
    )


def _get(request, pk: int) -> AccessRequest:
    found = _with_related(AccessRequest.objects.visible_to(request.user)).filter(pk=pk).first()
    if found is None:
        raise NotFound("申请不存在或不在您的权限范围内")
    return found


@router.get(
    "/access-requests",
    response={200: list[RequestOut], 401: Error, 422: Invalid},
    summary="申请列表",
)
def list_requests(request, filters: Query[ListQuery]):
    qs, errors = request_filters.filter_requests(
        request.user, AccessRequest.objects.visible_to(request.user), filters.dict()
    )
    refuse(errors)
    page = max(filters.page, 1)
    return list(_with_related(qs)[(page - 1) * 50 : page * 50])


@router.post(
    "/access-requests",
    response={201: RequestOut, 400: Error, 422: Invalid, **AUTH},
    summary="提交查阅、复制、证据导出、长期保存、提供脱敏副本或密级申请",
)
def create_request(request, body: RequestIn):
    fields = svc.resolve_target(
        request.user,
        recording_ids=body.recording_ids,
        case_id=body.case_id,
        activity_id=body.activity_id,
    )
    ask = svc.Ask(
        kind=body.kind,
        reason=body.reason,
        days=body.days,
        place=body.place,
        ground=body.ground,
        mark=body.mark,
        recipient=body.recipient,
        redactions=body.redaction_ids,
        with_redacted=body.with_redacted,
        **fields,
    )
    return Status(201, svc.submit(request.user, ask, ip=client_ip(request)))


@router.get("/access-requests/{int:pk}", response={200: RequestOut, **AUTH}, summary="申请详情")
def get_request(request, pk: int):
    return _get(request, pk)


def _step(request, pk: int, act, allowed):
    req = _get(request, pk)
    require(allowed(request.user, req), "无权操作：您的角色不能进行此操作")
    act(req)
    return AccessRequest.objects.get(pk=pk)


@router.post(
    "/access-requests/{int:pk}/approve",
    response={200: RequestOut, 400: Error, 422: Invalid, **AUTH},
    summary="同意",
)
def approve(request, pk: int, body: DecisionIn):
    return _step(
        request,
        pk,
        lambda req: svc.approve(request.user, req, body.comment, ip=client_ip(request)),
        lambda user, req: may_decide_role(user, req),
    )


@router.post(
    "/access-requests/{int:pk}/reject",
    response={200: RequestOut, 400: Error, 422: Invalid, **AUTH},
    summary="不同意",
)
def reject(request, pk: int, body: DecisionIn):
    return _step(
        request,
        pk,
        lambda req: svc.reject(request.user, req, body.comment, ip=client_ip(request)),
        lambda user, req: may_decide_role(user, req),
    )


@router.post(
    "/access-requests/{int:pk}/execute",
    response={200: RequestOut, 400: Error, **AUTH},
    summary="办理",
)
def execute(request, pk: int):
    return _step(
        request,
        pk,
        lambda req: svc.execute(request.user, req, ip=client_ip(request)),
        lambda user, req: user.role == req.executed_by_role,
    )


@router.post(
    "/access-requests/{int:pk}/revoke",
    response={200: RequestOut, 400: Error, 422: Invalid, **AUTH},
    summary="撤销授权",
)
def revoke(request, pk: int, body: RevokeIn):
    return _step(
        request,
        pk,
        lambda req: svc.revoke(request.user, req, body.reason, ip=client_ip(request)),
        lambda user, req: (
            svc.may_revoke(user, req)
            or req.status not in (RequestStatus.APPROVED, RequestStatus.ACTIVE)
        ),
    )
