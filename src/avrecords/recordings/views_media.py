"""Streaming media with range requests, shared by the pages and the API (M2, M3, X1).

Every request checks a live grant (M3, M8: `access.grants`) before touching the store:
playback by anyone but the recording's own officer needs an executed 查阅 or 复制 request,
downloading an original always a 复制 request. Playback is audited and registered once per
start; each download is audited and registered. Originals on S3 are read
at the version recorded at ingest. A download of an S3 original may instead redirect to a
presigned URL of that version that expires after AVRECORDS_S3_URL_SECONDS.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from avrecords.access import grants
from avrecords.lib.ranges import ranged_response
from avrecords.lib.storage.base import StoreError
from avrecords.recordings import services

log = logging.getLogger(__name__)
PURGED = "该音像记录已按保存期限清除"


def gone(request) -> HttpResponse:
    """410 for a purged recording (M5): its original and derived copies no longer exist, so
    the store is not even asked."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"{PURGED}，原始文件和播放版本已不存在"}, status=410)
    return render(request, "recordings/gone.html", {"nav": "recordings"}, status=410)


def _starts_playback(range_header: str | None) -> bool:
    # A player asks for bytes=0- when it starts and other ranges when it seeks;
    # one audit entry per playback, not one per seek.
    return not range_header or range_header.strip() in {"bytes=0-", "bytes=0-1"}


def stream_media(request, recording_id: int, *, download: bool) -> HttpResponse:
    recording = services.get_visible(request.user, recording_id)
    if recording.purged_at is not None:
        return gone(request)
    try:
        grant = (
            grants.for_download(request.user, recording)
            if download
            else grants.for_playback(request.user, recording)
        )
    except grants.NoGrant as exc:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(exc)}, status=403)
        raise PermissionDenied(str(exc)) from exc
    source = (
        services.original_source(recording) if download else services.playback_source(recording)
    )
    if source is None:
        return JsonResponse({"detail": "播放代理正在生成，请稍后再试"}, status=409)
    range_header = request.META.get("HTTP_RANGE")
    # Reach the store before auditing: an act the store cannot serve is not recorded.
    try:
        url = services.original_url(source) if download else None
        opened = None if url else services.open_media(source)
    except StoreError as exc:
        log.error("recording %s: store unavailable: %s", recording.pk, exc)
        return JsonResponse({"detail": "存储服务暂不可用，请稍后再试"}, status=503)
    if download or _starts_playback(range_header):
        ip = request.META.get("REMOTE_ADDR", "")
        services.record_playback(request.user, recording, download=download, ip=ip)
        if download:
            grants.register_download(grant, request.user, recording, ip)
        else:
            grants.register_playback(grant, request.user, recording, ip)
    if url:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    response = ranged_response(
        lambda: opened,
        source.size_bytes,
        source.mime_type,
        range_header,
        filename=source.filename,
        attachment=download,
    )
    if not isinstance(response, StreamingHttpResponse) or not source.size_bytes:
        opened.close()  # 416 or empty: the body never reads it
    return response
