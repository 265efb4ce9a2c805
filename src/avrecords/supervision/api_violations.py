"""JSON API for the violation register (S4) and accountability (S5), scoped like the pages
(X2): a candidate or decision outside the user's scope is answered 404 like one that does
not exist.

A supervisor lists candidates (`GET /violations`), enters one (`POST /violations`),
confirms or dismisses it with a reason (`…/confirm`, `…/dismiss`) and proposes a decision
from the profile's list (`POST /violations/{id}/decisions`); the leader approves or rejects
it (`POST /decisions/{id}/approve|reject`). Missing input is 422, a step the object's state
does not allow (decided twice, a second standing decision) 409."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from avrecords.compliance.models import Activity
from avrecords.equipment.models import Device
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Forbidden, NotFound, require
from avrecords.org.models import Unit, User
from avrecords.recordings.models import Recording
from avrecords.supervision import accountability, violations
from avrecords.supervision.models import Accountability, ViolationCandidate
from avrecords.supervision.violations import Incomplete

router = Router(tags=["违规与责任追究"])
AUTH_ERRORS = {401: Error, 403: Error, 404: Error}
NO_READ = "无权查看违规登记"
MAX_RECORDINGS = 200


class DecisionOut(Schema):
    id: int
    violation_id: int
    person_id: int
    person_name: str
    decision: str  # the profile's code, e.g. suspension_one_month
    decision_name: str
    cite: str
    suspend_months: int
    reason: str
    status: str  # pending, approved, rejected
    status_label: str
    proposed_by_id: int
    proposed_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    comment: str
    suspended_from: dt.date | None  # first day of the suspension
    suspended_until: dt.date | None  # last day (inclusive)

    @staticmethod
    def resolve_person_name(obj: Accountability) -> str:
        return obj.person.display_name

    @staticmethod
    def resolve_status_label(obj: Accountability) -> str:
        return obj.get_status_display()


class ViolationOut(Schema):
    id: int
    kind: str
    kind_name: str
    automatic: bool  # raised by the compliance or equipment rules; false: entered by hand
    person_id: int | None
    person_name: str | None
    unit_id: int
    unit_name: str
    finding_id: int | None
    activity_id: int | None
    device_id: int | None
    summary: str
    cite: str
    status: str  # open, confirmed, dismissed
    status_label: str
    created_at: dt.datetime
    reported_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str

    @staticmethod
    def resolve_automatic(obj: ViolationCandidate) -> bool:
        return obj.reported_by_id is None

    @staticmethod
    def resolve_person_name(obj: ViolationCandidate) -> str | None:
        return obj.person.display_name if obj.person else None

    @staticmethod
    def resolve_unit_name(obj: ViolationCandidate) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj: ViolationCandidate) -> str:
        return obj.get_status_display()


class ViolationDetailOut(ViolationOut):
    recording_ids: list[int]  # those the user may see
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_decisions(obj: ViolationCandidate) -> list[Accountability]:
        return list(obj.decisions.select_related("person"))


class ViolationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ViolationOut]


class ViolationQuery(Schema):
    status: str | None = None
    kind: str | None = None
    unit: int | None = None  # the unit and the units below it
    person: str | None = None  # name, username or 执法证号 contains
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source: str | None = None  # auto or manual
    page: PageNumber = 1


class ViolationIn(Schema):
    kind: str  # not_recorded, deleted_or_altered, lent, leaked, false_recording, …
    unit: str  # 单位代码
    person: int  # user id
    summary: str
    activity: int | None = None
    device: int | None = None
    recordings: list[int] = []


class ReasonIn(Schema):
    reason: str = ""


class ProposalIn(Schema):
    decision: str  # a code of the unit profile's supervision.decisions
    reason: str = ""


class DecisionCommentIn(Schema):
    comment: str = ""


def _candidate(request, pk: int) -> ViolationCandidate:
    found = ViolationCandidate.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _detailed(request, candidate: ViolationCandidate) -> ViolationCandidate:
    candidate.recording_ids = list(
        Recording.objects.visible_to(request.user)
        .filter(pk__in=candidate.recordings.values("pk"))
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
    )
    return candidate


@router.get(
    "/violations",
    response={200: ViolationPage, 401: Error, 403: Error, 422: Invalid},
    summary="违规登记",
)
def list_violations(request, filters: Query[ViolationQuery]):
    require(violations.can_read(request.user), NO_READ)
    data = filters.dict()
    page = max(data.pop("page"), 1)
    f = violations.read_filter({k: ("" if v is None else str(v)) for k, v in data.items()})
    if f.errors:
        raise Incomplete(f.errors)
    qs = violations.search(request.user, f)
    size = settings.AVRECORDS_PAGE_SIZE
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "results": list(qs[(page - 1) * size : page * size]),
    }


@router.post(
    "/violations",
    response={201: ViolationDetailOut, 401: Error, 403: Error, 422: Invalid},
    summary="登记违规行为（监督人员）",
)
def report_violation(request, body: ViolationIn):
    user = request.user
    require(violations.can_enter(user), "无权登记违规行为：须由监督人员办理")
    errors, skip = [], set()
    unit = Unit.objects.visible_to(user).filter(code=body.unit.strip()).first()
    if unit is None:
        errors.append(f"单位代码“{body.unit}”不存在或不在您的监督范围内")
        skip.add(violations.NO_UNIT)
    person = User.objects.filter(pk=body.person, unit__in=Unit.objects.visible_to(user)).first()
    if person is None:
        errors.append("人员不存在或不在您的监督范围内")
        skip.add(violations.NO_PERSON)
    activity = device = None
    if body.activity is not None:
        activity = Activity.objects.visible_to(user).filter(pk=body.activity).first()
        if activity is None:
            errors.append("执法活动不存在或不在您的权限范围内")
    if body.device is not None:
        device = Device.objects.visible_to(user).filter(pk=body.device).first()
        if device is None:
            errors.append("设备不存在或不在您的权限范围内")
    ids = list(dict.fromkeys(body.recordings))[: MAX_RECORDINGS + 1]
    if len(ids) > MAX_RECORDINGS:
        errors.append(f"一次最多关联 {MAX_RECORDINGS} 条音像记录")
    found = list(Recording.objects.visible_to(user).filter(pk__in=ids))
    if missing := sorted(set(ids) - {r.pk for r in found}):
        errors.append("音像记录不存在或不在您的权限范围内：" + "、".join(map(str, missing)))
    data = violations.ViolationInput(
        kind=body.kind,
        unit=unit,
        person=person,
        summary=body.summary,
        activity=activity,
        device=device,
        recordings=tuple(found),
    )
    errors += [e for e in violations.check(user, data) if e not in skip]
    if errors:
        raise Incomplete(errors)
    candidate = violations.report(user, data, ip=client_ip(request))
    return Status(201, _detailed(request, candidate))


@router.get(
    "/violations/{int:violation_id}",
    response={200: ViolationDetailOut, **AUTH_ERRORS},
    summary="一条违规线索（含证据和处理决定）",
)
def get_violation(request, violation_id: int):
    return _detailed(request, _candidate(request, violation_id))


def _decide(request, violation_id: int, body: ReasonIn | None, confirm: bool):
    candidate = _candidate(request, violation_id)
    if refusal := violations.decider_refusal(request.user, candidate):
        raise Forbidden(refusal)
    violations.decide(
        request.user,
        candidate,
        confirm=confirm,
        reason=body.reason if body else "",
        ip=client_ip(request),
    )
    return _detailed(request, candidate)


DECIDE_RESPONSES = {200: ViolationDetailOut, 409: Error, **AUTH_ERRORS, 422: Invalid}


@router.post(
    "/violations/{int:violation_id}/confirm", response=DECIDE_RESPONSES, summary="认定违规"
)
def confirm_violation(request, violation_id: int, body: ReasonIn | None = None):
    return _decide(request, violation_id, body, True)


@router.post(
    "/violations/{int:violation_id}/dismiss", response=DECIDE_RESPONSES, summary="排除违规线索"
)
def dismiss_violation(request, violation_id: int, body: ReasonIn | None = None):
    return _decide(request, violation_id, body, False)


@router.post(
    "/violations/{int:violation_id}/decisions",
    response={201: DecisionOut, 409: Error, **AUTH_ERRORS, 422: Invalid},
    summary="提出处理意见（由分管领导批准）",
)
def propose_decision(request, violation_id: int, body: ProposalIn):
    candidate = _candidate(request, violation_id)
    if refusal := accountability.proposer_refusal(request.user, candidate):
        raise Forbidden(refusal)
    made = accountability.propose(
        request.user, candidate, decision=body.decision, reason=body.reason, ip=client_ip(request)
    )
    return Status(201, made)


def _approval(request, decision_id: int, approve: bool, comment: str):
    decision = Accountability.objects.get_visible(request.user, decision_id)
    if refusal := accountability.approver_refusal(request.user, decision):
        raise Forbidden(refusal)
    decide = accountability.approve if approve else accountability.reject
    return decide(request.user, decision, comment=comment, ip=client_ip(request))


@router.post(
    "/decisions/{int:decision_id}/approve",
    response={200: DecisionOut, 409: Error, **AUTH_ERRORS},
    summary="批准处理决定（停止执法的自批准之日起计算）",
)
def approve_decision(request, decision_id: int, body: DecisionCommentIn | None = None):
    return _approval(request, decision_id, True, body.comment if body else "")


@router.post(
    "/decisions/{int:decision_id}/reject",
    response={200: DecisionOut, 409: Error, **AUTH_ERRORS, 422: Invalid},
    summary="不批准处理意见",
)
def reject_decision(request, decision_id: int, body: DecisionCommentIn | None = None):
    return _approval(request, decision_id, False, body.comment if body else "")
