"""Streaming media with range requests, shared by the pages and the API (M2, M3, X1).

Every request asks the playback rule (M3, M8: `panels.PLAYBACK`, which access provides from
its grants) before touching the store: playback by anyone but the recording's own officer
needs an executed 查阅 or 复制 request, downloading an original always a 复制 request. No bytes of
a recording leave unrecorded (issue 15, rows 3 and 4): the whole file and each player's
start are audited and registered as a playback, a seek only when no playback of the user's
is recorded shortly before (`services.playback_to_record`); each download is audited and
registered; a Range header naming anything but one satisfiable range of bytes gets 416 and
delivers, and records, nothing. A thumbnail is delivered under the same grant and audited
and registered each time; without the grant the same address answers a neutral placeholder
picture holding nothing of the recording, so lists still render and nothing is recorded.
Originals on S3 are read at the version recorded at ingest. A download of an S3 original may
instead redirect to a presigned URL of that version that expires after
AVRECORDS_S3_URL_SECONDS.
"""

import logging
from pathlib import Path

from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render

from avrecords.lib.http import client_ip
from avrecords.lib.ranges import (
    UNSATISFIABLE,
    parse_range,
    player_start,
    ranged_response,
    unsatisfiable_response,
)
from avrecords.lib.refusals import Forbidden, NotFound
from avrecords.lib.storage.base import StoreError
from avrecords.panels import PLAYBACK
from avrecords.recordings import services
from avrecords.recordings.models import Recording

log = logging.getLogger(__name__)
PURGED = "该音像记录已按保存期限清除"


def gone(request) -> HttpResponse:
    """410 for a purged recording (M5): its original and derived copies no longer exist, so
    the store is not even asked."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"{PURGED}，原始文件和播放版本已不存在"}, status=410)
    return render(request, "recordings/gone.html", {"nav": "recordings"}, status=410)


PLACEHOLDER_SVG = (Path(__file__).parent / "static/recordings/no-thumbnail.svg").read_bytes()


def stream_media(request, recording_id: int, *, download: bool) -> HttpResponse:
    recording = Recording.objects.get_visible(request.user, recording_id)
    if recording.purged_at is not None:
        return gone(request)
    try:
        grant = (
            PLAYBACK.for_download(request.user, recording)
            if download
            else PLAYBACK.for_playback(request.user, recording)
        )
    except PermissionError as exc:  # the rule's refusal, with its Chinese reason: 403 either face
        raise Forbidden(str(exc)) from exc
    source = (
        services.original_source(recording) if download else services.playback_source(recording)
    )
    if source is None:
        return JsonResponse({"detail": "播放代理正在生成，请稍后再试"}, status=409)
    range_header = request.META.get("HTTP_RANGE")
    span = parse_range(range_header, source.size_bytes)
    if span is UNSATISFIABLE:
        return unsatisfiable_response(source.size_bytes)  # nothing delivered, nothing recorded
    # Reach the store before auditing: an act the store cannot serve is not recorded.
    try:
        url = services.original_url(source) if download else None
        opened = None if url else services.open_media(source)
    except StoreError as exc:
        log.error("recording %s: store unavailable: %s", recording.pk, exc)
        return JsonResponse({"detail": "存储服务暂不可用，请稍后再试"}, status=503)
    ip = client_ip(request)
    if download:
        with transaction.atomic():
            services.record_playback(request.user, recording, download=True, ip=ip)
            PLAYBACK.register_download(grant, request.user, recording, ip)
    elif services.playback_to_record(
        request.user,
        recording,
        whole_file=span is None,
        player_start=span is not None and player_start(range_header),
    ):
        with transaction.atomic():
            services.record_playback(request.user, recording, download=False, ip=ip)
            PLAYBACK.register_playback(grant, request.user, recording, ip)
    if url:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    if not source.size_bytes:
        opened.close()  # empty: the body never reads it
    return ranged_response(
        lambda: opened,
        source.size_bytes,
        source.mime_type,
        span,
        filename=source.filename,
        attachment=download,
    )


def thumbnail(request, recording) -> HttpResponse:
    """The recording's thumbnail to those who may play it (audited and registered like a
    playback), a neutral placeholder to those who may not (nothing of the recording, nothing
    recorded); 404 while the thumbnail is still being made."""
    try:
        grant = PLAYBACK.for_playback(request.user, recording)
    except PermissionError:
        response = HttpResponse(PLACEHOLDER_SVG, content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        return response
    path = services.thumbnail_path(recording)
    if path is None or not path.exists():
        raise NotFound("尚无缩略图")
    handle = open(path, "rb")
    ip = client_ip(request)
    with transaction.atomic():
        services.record_thumbnail(request.user, recording, ip=ip)
        PLAYBACK.register_playback(grant, request.user, recording, ip, act="查看缩略图")
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
