"""JSON API for cases (M10), scoped like the pages (X2, M9): a case outside the user's scope
is answered 404 like one that does not exist.

A case system opens a case (`POST /cases`), files recordings with it
(`POST /cases/{id}/recordings`), closes it (`POST /cases/{id}/close`: the archiving deadline
of the unit's profile starts, e.g. 004§19(2)) and marks it filed (`POST /cases/{id}/file`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from avrecords.cases import filters as case_filters
from avrecords.cases import services
from avrecords.cases.models import Case
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import require
from avrecords.org.models import Unit, User
from avrecords.panels import CASE_ACTIVITIES
from avrecords.recordings.models import Recording

router = Router(tags=["案卷"])
AUTH_ERRORS = {401: Error, 403: Error, 404: Error}
MAX_IDS_PER_LINK = 500


class CaseOut(Schema):
    id: int
    number: str
    title: str
    party: str
    case_type: str
    case_type_label: str
    unit_id: int
    unit_name: str
    leader_id: int | None
    status: str
    status_label: str
    opened_on: dt.date
    closed_at: dt.datetime | None
    file_due: dt.date | None
    overdue_days: int  # past the archiving deadline and not filed; 0 otherwise
    filed_at: dt.datetime | None
    secrecy: str
    note: str

    @staticmethod
    def resolve_case_type_label(obj: Case) -> str:
        return obj.get_case_type_display()

    @staticmethod
    def resolve_unit_name(obj: Case) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_status_label(obj: Case) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_overdue_days(obj: Case) -> int:
        return services.overdue_days(obj)


class CaseDetailOut(CaseOut):
    filing_days: int | None  # days after closure to file, from the unit's profile
    filing_cite: str
    recording_ids: list[int]  # those the user may see
    activity_ids: list[int]


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    overdue_count: int  # of all the user's cases, whatever the filters
    results: list[CaseOut]


class CaseQuery(Schema):
    status: str | None = None
    case_type: str | None = None
    unit: int | None = None  # the unit and the units below it
    q: str | None = None  # in the number, title or party
    overdue: bool = False
    page: PageNumber = 1


class CaseIn(Schema):
    number: str
    title: str
    case_type: str  # permit, penalty, coercion, levy, inspection, other
    unit: str  # 单位代码
    opened_on: dt.date
    party: str = ""
    leader: int | None = None  # user id of the 分管领导
    note: str = ""


class CloseIn(Schema):
    closed_at: dt.datetime | None = None  # default now


class LinkIn(Schema):
    recordings: list[int]


class LinkOut(Schema):
    added: int
    case: CaseOut


def _case(request, case_id: int) -> Case:
    return Case.objects.get_visible(request.user, case_id)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)  # a case system's local (Beijing) time
    return value


@router.get("/cases", response={200: CasePage, 401: Error, 422: Invalid}, summary="案卷")
def list_cases(request, filters: Query[CaseQuery]):
    data = filters.dict()
    page = max(data.pop("page"), 1)
    qs, errors = case_filters.filter_cases(request.user, data)
    refuse(errors)
    size = settings.AVRECORDS_PAGE_SIZE
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "overdue_count": services.overdue(Case.objects.visible_to(request.user)).count(),
        "results": list(qs[(page - 1) * size : page * size]),
    }


def _with_details(request, case: Case) -> Case:
    """The case with its deadline rule and the ids of what the user may see filed with it."""
    case.filing_days, case.filing_cite = services.filing_days(case.unit, case.case_type)
    case.recording_ids = list(
        Recording.objects.visible_to(request.user)
        .filter(case=case)
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
    )
    case.activity_ids = list(
        CASE_ACTIVITIES.visible(request.user)
        .filter(case=case)
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
    )
    return case


@router.get(
    "/cases/{int:case_id}", response={200: CaseDetailOut, **AUTH_ERRORS}, summary="一件案卷"
)
def get_case(request, case_id: int):
    case = _case(request, case_id)
    services.view_case(request.user, case, ip=client_ip(request))
    return _with_details(request, case)


@router.post(
    "/cases",
    response={201: CaseOut, 401: Error, 403: Error, 422: Invalid},
    summary="立案登记",
)
def open_case(request, body: CaseIn):
    require(services.can_manage_cases(request.user), "无权立案登记")
    errors = []
    unit = Unit.objects.visible_to(request.user).filter(code=body.unit.strip()).first()
    if unit is None:
        errors.append(f"单位代码“{body.unit}”不存在或不在您的管辖范围内")
    leader = None
    if body.leader is not None:
        leader = User.objects.select_related("unit").filter(pk=body.leader).first()
        if leader is None:
            errors.append(services.BAD_LEADER)
    data = services.CaseInput(
        number=body.number,
        title=body.title,
        case_type=body.case_type,
        unit=unit,
        opened_on=body.opened_on,
        party=body.party,
        leader=leader,
        note=body.note,
    )
    errors += [e for e in services.check(data) if not (unit is None and e == services.NO_UNIT)]
    if errors:
        raise services.CaseInvalid(errors)
    return Status(201, services.open_case(request.user, data))


@router.post(
    "/cases/{int:case_id}/close",
    response={200: CaseOut, 400: Error, **AUTH_ERRORS, 422: Invalid},
    summary="结案（开始计算归档期限）",
)
def close_case(request, case_id: int, body: CloseIn | None = None):
    case = _case(request, case_id)
    require(services.can_manage_cases(request.user), "无权结案")
    at = _aware(body.closed_at) if body else None
    return services.close_case(request.user, case, at=at)


@router.post(
    "/cases/{int:case_id}/file",
    response={200: CaseOut, 400: Error, **AUTH_ERRORS},
    summary="归档",
)
def file_case(request, case_id: int):
    case = _case(request, case_id)
    require(services.can_file_cases(request.user), "无权归档")
    return services.file_case(request.user, case)


@router.post(
    "/cases/{int:case_id}/recordings",
    response={200: LinkOut, 400: Error, **AUTH_ERRORS, 422: Invalid},
    summary="关联音像记录",
)
def link_recordings(request, case_id: int, body: LinkIn):
    case = _case(request, case_id)
    require(services.can_manage_cases(request.user), "无权关联音像记录")
    ids = list(dict.fromkeys(body.recordings))
    if not ids or len(ids) > MAX_IDS_PER_LINK:
        raise services.CaseInvalid([f"请给出 1 至 {MAX_IDS_PER_LINK} 条音像记录的编号"])
    found = {r.pk: r for r in Recording.objects.visible_to(request.user).filter(pk__in=ids)}
    if missing := [i for i in ids if i not in found]:
        missing_ids = "、".join(map(str, missing))
        raise services.CaseInvalid(["音像记录不存在或不在您的权限范围内：" + missing_ids])
    added = services.link_recordings(request.user, case, list(found.values()))
    return {"added": added, "case": case}
