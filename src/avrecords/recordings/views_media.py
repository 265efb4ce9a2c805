"""Streaming media with range requests, shared by the pages and the API (playback audited once)."""

from django.http import HttpResponse, JsonResponse

from avrecords.lib.ranges import ranged_response
from avrecords.recordings import services


def _starts_playback(range_header: str | None) -> bool:
    # A player asks for bytes=0- when it starts and other ranges when it seeks;
    # one audit entry per playback, not one per seek.
    return not range_header or range_header.strip() in {"bytes=0-", "bytes=0-1"}


def stream_media(request, recording_id: int, *, download: bool) -> HttpResponse:
    recording = services.get_visible(request.user, recording_id)
    source = (
        services.original_source(recording) if download else services.playback_source(recording)
    )
    if source is None:
        return JsonResponse({"detail": "播放代理正在生成，请稍后再试"}, status=409)
    range_header = request.META.get("HTTP_RANGE")
    if download or _starts_playback(range_header):
        services.record_playback(
            request.user, recording, download=download, ip=request.META.get("REMOTE_ADDR", "")
        )
    return ranged_response(
        lambda: services.open_media(source),
        source.size_bytes,
        source.mime_type,
        range_header,
        filename=source.filename,
        attachment=download,
    )
