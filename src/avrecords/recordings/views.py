"""Pages for recordings, uploads, import batches and quarantine; every rule lives in services."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device
from avrecords.jobs.models import Job
from avrecords.org.models import User
from avrecords.org.scope import (
    can_download_original,
    can_ingest,
    can_upload,
    scope_q,
    visible_units,
)
from avrecords.recordings import services
from avrecords.recordings.models import MediaKind, RecordingStatus
from avrecords.recordings.views_media import stream_media


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def recording_list(request):
    g = request.GET
    flt = services.RecordingFilter(
        officer=_int(g.get("officer")),
        device=g.get("device") or None,
        unit=_int(g.get("unit")),
        date_from=_date(g.get("date_from")),
        date_to=_date(g.get("date_to")),
        media_kind=g.get("media_kind") or None,
        status=g.get("status") or None,
        needs_assignment=True if g.get("needs_assignment") == "1" else None,
        q=g.get("q") or None,
    )
    page = Paginator(
        services.search_recordings(request.user, flt), settings.AVRECORDS_PAGE_SIZE
    ).get_page(g.get("page"))
    params = g.copy()
    params.pop("page", None)
    context = {
        "nav": "recordings",
        "page": page,
        "filters": g,
        "query": params.urlencode(),
        "officers": User.objects.filter(
            scope_q(request.user, unit_field="unit", officer_field="pk")
        )
        .exclude(officer_no=None)
        .order_by("officer_no"),
        "units": visible_units(request.user),
        "devices": Device.objects.filter(unit__in=visible_units(request.user)),
        "kinds": MediaKind.choices,
        "statuses": RecordingStatus.choices,
    }
    template = (
        "recordings/_table.html" if request.headers.get("HX-Request") else "recordings/list.html"
    )
    return render(request, template, context)


@login_required
def recording_detail(request, recording_id: int):
    recording = services.view_recording(
        request.user, recording_id, ip=request.META.get("REMOTE_ADDR", "")
    )
    context = {
        "nav": "recordings",
        "r": recording,
        "playable": services.playback_source(recording) is not None,
        "has_thumbnail": services.thumbnail_path(recording) is not None,
        "sources": recording.sources.select_related("batch__station"),
        "jobs": Job.objects.filter(subject_type="recording", subject_id=str(recording.pk)),
        "trail": AuditEntry.objects.filter(
            object_type="recordings.recording", object_id=str(recording.pk)
        ).order_by("-seq")[:50],
        "can_download": can_download_original(request.user),
    }
    return render(request, "recordings/detail.html", context)


@login_required
def recording_media(request, recording_id: int):
    return stream_media(request, recording_id, download=False)


@login_required
def recording_original(request, recording_id: int):
    services.get_visible(request.user, recording_id)
    if not can_download_original(request.user):
        raise PermissionDenied
    return stream_media(request, recording_id, download=True)


@login_required
def recording_thumbnail(request, recording_id: int):
    recording = services.get_visible(request.user, recording_id)
    path = services.thumbnail_path(recording)
    if path is None or not path.exists():
        raise Http404("尚无缩略图")
    return FileResponse(open(path, "rb"), content_type="image/jpeg")


@login_required
def upload_page(request):
    if not can_upload(request.user):
        raise PermissionDenied
    return render(
        request,
        "recordings/upload.html",
        {
            "nav": "upload",
            "max_mb": settings.AVRECORDS_UPLOAD_MAX_BYTES // 1024 // 1024,
        },
    )


@login_required
def batch_list(request):
    if not can_ingest(request.user):
        raise PermissionDenied
    page = Paginator(services.visible_batches(request.user), settings.AVRECORDS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "recordings/batches.html", {"nav": "batches", "page": page})


@login_required
def batch_detail(request, batch_id: int):
    if not can_ingest(request.user):
        raise PermissionDenied
    batch = get_object_or_404(services.visible_batches(request.user), pk=batch_id)
    return render(
        request,
        "recordings/batch_detail.html",
        {
            "nav": "batches",
            "batch": batch,
            "items": batch.items.select_related("recording"),
        },
    )


@login_required
def quarantine_list(request):
    if not can_ingest(request.user):
        raise PermissionDenied
    page = Paginator(
        services.visible_quarantine(request.user), settings.AVRECORDS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "recordings/quarantine.html", {"nav": "quarantine", "page": page})
