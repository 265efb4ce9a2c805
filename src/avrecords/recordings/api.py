"""JSON API for recordings, uploads, import batches and quarantine (M1, M4)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import NotFound, require
from avrecords.org.scope import can_ingest, can_upload
from avrecords.recordings import assignment, listing, marks, services
from avrecords.recordings import filters as recording_filters
from avrecords.recordings.models import IngestBatch, QuarantinedFile, Recording
from avrecords.recordings.uploads import ingest_upload
from avrecords.recordings.views_media import stream_media

router = Router(tags=["音像记录"])
AUTH_ERRORS = {401: Error, 403: Error, 404: Error}


class RecordingOut(Schema):
    id: int
    sha256: str
    size_bytes: int
    media_kind: str
    status: str
    original_name: str
    device_serial: str
    officer_no: str
    officer_id: int | None
    officer_name: str | None
    device_id: int | None
    unit_id: int | None
    unit_name: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    duration_seconds: float
    time_source: str
    container: str
    video_codec: str
    audio_codec: str
    width: int | None
    height: int | None
    frame_rate: float | None
    needs_proxy: bool
    needs_assignment: bool
    assignment_note: str
    uploaded_by_id: int | None  # who uploaded it through the page or API (none for a station)
    case_number: str
    party: str
    place: str
    ingested_at: dt.datetime
    purged_at: dt.datetime | None  # M5: purged by its retention; the row stays, nothing plays

    @staticmethod
    def resolve_officer_name(obj: Recording) -> str | None:
        return obj.officer.display_name if obj.officer else None

    @staticmethod
    def resolve_unit_name(obj: Recording) -> str | None:
        return obj.unit.name if obj.unit else None


class RecordingPage(Schema):
    count: int  # at most AVRECORDS_SEARCH_COUNT_CAP …
    count_capped: bool  # … and true if more rows match (they are not counted, nor paged to)
    page: int
    page_size: int
    results: list[RecordingOut]


class RecordingQuery(Schema):
    officer: int | None = None
    officer_q: str | None = None
    device: str | None = None
    unit: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    media_kind: str | None = None
    status: str | None = None
    needs_assignment: bool | None = None
    party: str | None = None
    place: str | None = None
    case_number: str | None = None
    q: str | None = None
    page: PageNumber = 1


class FileResultOut(Schema):
    path: str
    outcome: str
    size_bytes: int
    sha256: str
    recording_id: int | None
    reason: str
    quarantine_id: int | None


class BatchSummaryOut(Schema):
    batch_id: int
    counts: dict[str, int]
    bytes: int
    seconds: float
    throughput_mb_s: float
    aborted: str | None
    files: list[FileResultOut]


class BatchOut(Schema):
    id: int
    source: str
    station: str | None
    operator: str | None
    state: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    files_total: int
    imported: int
    duplicates: int
    quarantined: int
    skipped: int
    failed: int
    bytes_total: int
    error: str

    @staticmethod
    def resolve_station(obj: IngestBatch) -> str | None:
        return obj.station.name if obj.station else None

    @staticmethod
    def resolve_operator(obj: IngestBatch) -> str | None:
        return obj.operator.display_name if obj.operator else None


class QuarantineOut(Schema):
    id: int
    sha256: str
    size_bytes: int
    original_name: str
    relative_path: str
    error: str
    batch_id: int
    created_at: dt.datetime


def _paginate(qs, page: int) -> tuple[int, int, list]:
    size = settings.AVRECORDS_PAGE_SIZE
    page = max(page, 1)
    return qs.count(), size, list(qs[(page - 1) * size : page * size])


@router.get(
    "/recordings", response={200: RecordingPage, 401: Error, 422: Invalid}, summary="检索音像记录"
)
def list_recordings(request, filters: Query[RecordingQuery]):
    data = filters.dict()
    page = data.pop("page")
    qs, errors = recording_filters.filter_recordings(request.user, data)
    refuse(errors)
    size = settings.AVRECORDS_PAGE_SIZE
    start = (max(page, 1) - 1) * size
    with listing.planned_for_lists():
        count, capped = listing.capped_count(qs)
        rows = listing.page_rows(qs, start, min(start + size, count))
    return {
        "count": count,
        "count_capped": capped,
        "page": page,
        "page_size": size,
        "results": rows,
    }


@router.get(
    "/recordings/{int:recording_id}",
    response={200: RecordingOut, **AUTH_ERRORS},
    summary="查看音像记录",
)
def get_recording(request, recording_id: int):
    return services.view_recording(request.user, recording_id, ip=client_ip(request))


@router.get(
    "/recordings/{int:recording_id}/media",
    response={200: None, 206: None, 409: Error, 410: Error, 416: None, 503: Error, **AUTH_ERRORS},
    summary="播放（支持 Range 请求；本人记录以外须有有效的查阅或复制授权）",
)
def play_recording(request, recording_id: int):
    return stream_media(request, recording_id, download=False)


@router.get(
    "/recordings/{int:recording_id}/original",
    # 302: on S3, a presigned URL of the pinned version valid AVRECORDS_S3_URL_SECONDS.
    response={
        200: None,
        206: None,
        302: None,
        410: Error,
        416: None,
        503: Error,
        **AUTH_ERRORS,
    },
    summary="下载原始文件（须有有效的复制授权，每次下载记入复制登记簿）",
)
def download_original(request, recording_id: int):
    return stream_media(request, recording_id, download=True)


class AssignmentIn(Schema):
    """The person, or the device whose holder at the start time it is (`by_custody`, or no
    person with a device); a start time given by hand is recorded as 人工指定 (issue 19 §5)."""

    officer_id: int | None = None
    device_id: int | None = None
    started_at: dt.datetime | None = None
    by_custody: bool = False


@router.post(
    "/recordings/{int:recording_id}/assignment",
    response={200: RecordingOut, 409: Error, 422: Invalid, **AUTH_ERRORS},
    summary="指派待指派的音像记录（管理员；绑定执法人员和设备后按规定核查；可更正开始时间）",
)
def assign_recording(request, recording_id: int, data: AssignmentIn):
    return assignment.assign(
        request.user,
        recording_id,
        officer_id=data.officer_id,
        device_id=data.device_id,
        started_at=data.started_at,
        by_custody=data.by_custody,
        ip=client_ip(request),
    )


@router.post(
    "/recordings/uploads",
    response={
        201: BatchSummaryOut,
        400: Error,
        401: Error,
        403: Error,
        413: Error,
        503: Error,
        507: Error,
    },
    summary="上传音像文件（multipart/form-data，可多个文件）",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                }
            },
        }
    },
)
def upload_recordings(request):
    require(can_upload(request.user), "无权上传文件")
    return Status(201, ingest_upload(request).as_dict())


@router.get(
    "/ingest/batches",
    response={200: list[BatchOut], 401: Error, 403: Error, 422: Invalid},
    summary="导入批次",
)
def list_batches(request, page: PageNumber = 1):
    require(can_ingest(request.user), "无权查看导入批次")
    _, _, rows = _paginate(IngestBatch.objects.visible_to(request.user), page)
    return rows


@router.get(
    "/ingest/batches/{batch_id}", response={200: BatchOut, **AUTH_ERRORS}, summary="导入批次详情"
)
def get_batch(request, batch_id: int):
    require(can_ingest(request.user), "无权查看导入批次")
    batch = IngestBatch.objects.visible_to(request.user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("批次不存在")
    return batch


@router.get(
    "/quarantine",
    response={200: list[QuarantineOut], 401: Error, 403: Error, 422: Invalid},
    summary="隔离文件",
)
def list_quarantine(request, page: PageNumber = 1):
    require(can_ingest(request.user), "无权查看隔离文件")
    _, _, rows = _paginate(QuarantinedFile.objects.visible_to(request.user), page)
    return rows


# --- the player's timeline: marks and bookmarks (issue 17 §5) ----------------------------------


class MarkOut(Schema):
    at_seconds: float
    kind: str  # finding, note, bookmark, notice
    kind_name: str
    text: str
    bookmark_id: int | None
    deletable: bool


class BookmarkIn(Schema):
    at_seconds: float
    text: str


@router.get(
    "/recordings/{int:recording_id}/marks",
    response={200: list[MarkOut], **AUTH_ERRORS},
    summary="音像记录时间轴上的标记（合规问题、评查备注、标记；须有播放权限）",
)
def recording_marks(request, recording_id: int):
    recording = marks.playable(request.user, recording_id)
    return [
        {
            "at_seconds": m.at,
            "kind": m.kind,
            "kind_name": m.kind_label,
            "text": m.text,
            "bookmark_id": m.bookmark_id,
            "deletable": m.deletable,
        }
        for m in marks.for_recording(request.user, recording)
    ]


@router.post(
    "/recordings/{int:recording_id}/bookmarks",
    response={201: MarkOut, 400: Error, 422: Invalid, **AUTH_ERRORS},
    summary="在音像记录的某一时间点添加标记（须有播放权限）",
)
def add_bookmark(request, recording_id: int, data: BookmarkIn):
    bookmark = marks.add_bookmark(
        request.user, recording_id, at=data.at_seconds, text=data.text, ip=client_ip(request)
    )
    return Status(
        201,
        {
            "at_seconds": bookmark.at_seconds,
            "kind": "bookmark",
            "kind_name": marks.KINDS["bookmark"],
            "text": bookmark.text,
            "bookmark_id": bookmark.pk,
            "deletable": True,
        },
    )


@router.delete(
    "/recordings/{int:recording_id}/bookmarks/{int:bookmark_id}",
    response={204: None, **AUTH_ERRORS},
    summary="删除本人添加的标记",
)
def delete_bookmark(request, recording_id: int, bookmark_id: int):
    marks.delete_bookmark(request.user, recording_id, bookmark_id, ip=client_ip(request))
    return Status(204, None)
