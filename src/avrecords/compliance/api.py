"""JSON API for activities (U1), findings and 待办 (U2–U7, M1), scoped like the pages (X2).

Case systems create activities here one by one (`POST /activities`, JSON) or in bulk
(`POST /activities/import`, the same Excel/CSV file as the page)."""

from __future__ import annotations

import datetime as dt

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from avrecords.compliance import activities as acts
from avrecords.compliance import filters, imports, worklist_sources
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import (
    Activity,
    ActivitySource,
    Finding,
)
from avrecords.equipment.events import pending_acknowledgements
from avrecords.lib import refusals
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.refusals import Conflict, require
from avrecords.org.scope import (
    can_import_activities,
    can_record_activity,
    recording_q,
    shown_and_withheld,
)
from avrecords.recordings.models import Recording

router = Router(tags=["执法活动与合规"])


class ActivityIn(Schema):
    unit: str  # 单位代码
    kind: str  # code or name from the unit's profile catalogue
    started_at: dt.datetime
    ended_at: dt.datetime
    officers: list[str]  # 执法证号 (or unique names)
    case_number: str = ""
    party: str = ""
    place: str = ""
    planned_start: dt.datetime | None = None
    planned_end: dt.datetime | None = None
    document_name: str = ""
    document_started_at: dt.datetime | None = None
    document_ended_at: dt.datetime | None = None
    dispute: bool = False
    explosive_area: bool = False
    returned_at: dt.datetime | None = None
    external_ref: str = ""


class FindingOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    summary: str
    cite: str
    officer_id: int | None
    unit_id: int
    activity_id: int | None
    recording_id: int | None
    respond_by: dt.datetime | None
    opened_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Finding) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_recording_id(obj: Finding) -> int | None:
        """Blank when the user may not see the recording (M9; Finding.visible_rows)."""
        return obj.recording_id if getattr(obj, "recording_shown", False) else None


def _link_page(user, activities: list[Activity]) -> None:
    """`_linked` for a whole page of activities in two queries, not three per activity (the
    number of queries stays the same whatever the page size, issue 22 §4)."""
    links = Recording.objects.filter(
        activity_links__activity__in=[a.pk for a in activities], activity_links__excluded=False
    )
    pairs = links.order_by("started_at", "pk").values_list("activity_links__activity", "pk")
    shown = set(links.filter(recording_q(user)).values_list("activity_links__activity", "pk"))
    ids: dict[int, list[int]] = {a.pk: [] for a in activities}
    withheld = dict.fromkeys(ids, 0)
    for activity_id, pk in pairs:
        if (activity_id, pk) in shown:
            ids[activity_id].append(pk)
        else:
            withheld[activity_id] += 1
    for activity in activities:
        activity._linked_for_answer = (ids[activity.pk], withheld[activity.pk])


def _linked(activity: Activity, context) -> tuple[list[int], int]:
    """The linked recordings' ids the user may see, and how many others (M9); worked out once
    per activity and answer."""
    if not hasattr(activity, "_linked_for_answer"):
        shown, withheld = shown_and_withheld(
            context["request"].user, acts.linked_recordings(activity)
        )
        activity._linked_for_answer = (list(shown.values_list("pk", flat=True)), withheld)
    return activity._linked_for_answer


class ActivityOut(Schema):
    id: int
    unit_id: int
    kind: str
    kind_name: str
    must_record: bool
    cite: str
    case_number: str
    party: str
    place: str
    started_at: dt.datetime
    ended_at: dt.datetime
    document_started_at: dt.datetime | None
    document_ended_at: dt.datetime | None
    officer_ids: list[int]
    recording_ids: list[int]  # those the user may see (X2, M9)
    withheld_recordings: int  # how many others are linked: counted, never named
    external_ref: str
    source: str

    @staticmethod
    def resolve_officer_ids(obj: Activity) -> list[int]:
        return sorted(officer.pk for officer in obj.officers.all())  # prefetched by lists

    @staticmethod
    def resolve_recording_ids(obj: Activity, context) -> list[int]:
        return _linked(obj, context)[0]

    @staticmethod
    def resolve_withheld_recordings(obj: Activity, context) -> int:
        return _linked(obj, context)[1]


class ImportOut(Schema):
    imported: list[int]
    skipped_rows: list[int]  # already imported, unchanged
    corrected_rows: list[int]  # already imported; end, return or dispute corrected


class TodoOut(Schema):
    explain: list[FindingOut]
    acknowledge: list[FindingOut]
    exemptions: list[int]
    device_losses: list[int] = []  # loss and theft reports for the unit head (E6)


def _input_from(request, body: ActivityIn):
    units, people = imports.lookups(request.user)
    row = {
        "单位代码": body.unit,
        "活动类型": body.kind,
        "开始时间": body.started_at,
        "结束时间": body.ended_at,
        "执法人员": "、".join(body.officers),
        "案件编号": body.case_number,
        "当事人": body.party,
        "地点": body.place,
        "计划开始": body.planned_start,
        "计划结束": body.planned_end,
        "文书名称": body.document_name,
        "文书记载开始": body.document_started_at,
        "文书记载结束": body.document_ended_at,
        "现场纠纷": "是" if body.dispute else "否",
        "爆炸危险区域": "是" if body.explosive_area else "否",
        "返回单位时间": body.returned_at,
        "外部编号": body.external_ref,
    }
    return imports.row_input(row, units, people)


@router.get(
    "/activities", response={200: list[ActivityOut], 401: Error, 422: Invalid}, summary="执法活动"
)
def list_activities(
    request, page: PageNumber = 1, external_ref: str = "", kind: str = "", open: bool = False
):
    qs, errors = filters.filter_activities(
        Activity.objects.visible_to(request.user),
        {"external_ref": external_ref, "kind": kind, "open": open},
    )
    refuse(errors)
    page = max(page, 1)
    rows = list(qs.prefetch_related("officers")[(page - 1) * 50 : page * 50])
    _link_page(request.user, rows)
    return rows


@router.post(
    "/activities",
    response={201: ActivityOut, 401: Error, 403: Error, 409: Error, 422: Invalid},
    summary="录入一次执法活动",
)
def create_activity(request, body: ActivityIn):
    require(can_record_activity(request.user), "无权录入执法活动")
    data, errors = _input_from(request, body)
    if errors:
        raise acts.ActivityInvalid(errors)
    if (
        data.external_ref
        and Activity.objects.filter(unit=data.unit, external_ref=data.external_ref).exists()
    ):
        raise Conflict(f"外部编号“{data.external_ref}”已录入")
    activity = acts.create_activity(request.user, data, ActivitySource.API)
    evaluate_activity(activity)
    return Status(201, activity)


@router.get(
    "/activities/{int:activity_id}",
    response={200: ActivityOut, 401: Error, 404: Error},
    summary="一次执法活动",
)
def get_activity(request, activity_id: int):
    return Activity.objects.get_visible(request.user, activity_id)


@router.post(
    "/activities/import",
    response={200: ImportOut, 401: Error, 403: Error, 422: Invalid},
    summary="批量导入执法活动（.xlsx 或 .csv）",
)
def import_activities(request, file: File[UploadedFile]):
    require(can_import_activities(request.user), "无权批量导入执法活动")
    rows = imports.read_table(file.name or "", file.read(imports.MAX_FILE_BYTES + 1))
    units, people = imports.lookups(request.user)
    report = imports.import_rows(request.user, rows, units, people, source_name=file.name or "")
    if report.errors:
        raise refusals.Invalid(f"未导入，共 {len(report.errors)} 处错误", reasons=report.errors)
    for activity in report.imported:
        evaluate_activity(activity)
    return {
        "imported": [a.pk for a in report.imported],
        "skipped_rows": report.skipped,
        "corrected_rows": report.corrected,
    }


@router.get(
    "/findings", response={200: list[FindingOut], 401: Error, 422: Invalid}, summary="合规问题"
)
def list_findings(request, status: str = "open", kind: str = "", page: PageNumber = 1):
    qs, errors = filters.filter_findings(
        Finding.objects.visible_to(request.user), {"status": status, "kind": kind}
    )
    refuse(errors)
    page = max(page, 1)
    return list(qs[(page - 1) * 50 : page * 50])


@router.get("/todo", response={200: TodoOut, 401: Error}, summary="待办")
def todo(request):
    """The compliance part of 待办, as the inbox's sources list it (issue 17 §3)."""
    user = request.user
    return {
        "explain": [t.obj for t in worklist_sources.findings_to_answer(user)],
        "acknowledge": [t.obj for t in worklist_sources.explanations_to_acknowledge(user)],
        "exemptions": [t.obj.pk for t in worklist_sources.exemptions_to_decide(user)],
        "device_losses": [e.pk for e in pending_acknowledgements(user)],
    }
