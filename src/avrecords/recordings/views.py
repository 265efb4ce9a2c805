"""Pages for recordings, uploads, import batches and quarantine; every rule lives in services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from avrecords import panels
from avrecords.audit.models import AuditEntry
from avrecords.jobs.models import Job
from avrecords.lib.filters import tell
from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import require
from avrecords.org.models import Unit
from avrecords.org.scope import can_edit_case_info, can_ingest, recording_shown
from avrecords.recordings import filters, listing, player, services
from avrecords.recordings.forms import CASE_FIELDS, CaseInfoForm
from avrecords.recordings.models import (
    IngestBatch,
    MediaKind,
    QuarantinedFile,
    Recording,
    RecordingStatus,
)
from avrecords.recordings.views_media import gone, stream_media, thumbnail

FACET_TITLES = {"media_kind": "类型", "status": "状态", "unit": "单位", "month": "月份"}


def _facet_links(summary: listing.Summary, params) -> list[tuple[str, str, list[dict]]]:
    """Each facet value with the query string that narrows to it (or, if chosen, widens back)."""
    links = []
    for name, title in FACET_TITLES.items():
        links.append((name, title, []))
        for value in summary.facets.get(name, []):
            chosen = all(params.get(k) == v for k, v in value.params.items())
            query = params.copy()
            for key, v in value.params.items():
                if chosen:
                    query.pop(key, None)
                else:
                    query[key] = v
            links[-1][2].append({"value": value, "chosen": chosen, "query": query.urlencode()})
    return links


@login_required
def recording_list(request):
    g = request.GET
    qs, errors = filters.filter_recordings(request.user, g)
    tell(request, errors)
    page = listing.search_page(qs, g.get("page"))
    params = g.copy()
    params.pop("page", None)
    context = {
        "nav": "recordings",
        "page": page,
        "summary": page.summary,
        "page_limit": listing.PAGE_LIMIT_ROWS,
        "facets": _facet_links(page.summary, params),
        "filters": g,
        "query": params.urlencode(),
        "units": Unit.objects.visible_to(request.user),
        "kinds": MediaKind.choices,
        "statuses": RecordingStatus.choices,
    }
    template = (
        "recordings/_table.html" if request.headers.get("HX-Request") else "recordings/list.html"
    )
    return render(request, template, context)


# The slots of `panels.RECORDING` shown on a recording's page, and on a purged one's.
DETAIL_SLOTS = ("no_player", "player", "secrecy", "case", "side")
PURGED_SLOTS = ("purged", "purged_facts")


def _tombstone(request, recording, status=200):
    """A purged recording (M5): what it was and, in the retention panel, its destruction
    record; nothing to play."""
    context = {
        "nav": "recordings",
        "r": recording,
        "slots": panels.RECORDING.render(request, recording, slots=PURGED_SLOTS, may_play=False),
        "sources": recording.sources.select_related("batch__station"),
        "trail": AuditEntry.objects.filter(
            object_type="recordings.recording", object_id=str(recording.pk)
        ).order_by("-seq")[:50],
    }
    return render(request, "recordings/tombstone.html", context, status=status)


def render_detail(
    request,
    recording,
    form=None,
    status=200,
    errors=None,
    bookmark_errors=None,
    bookmark_values=None,
):
    """The recording page: its own facts, the player with its timeline (`player.context`), and
    the panels other apps register on it (`panels.RECORDING`); `errors` are a refused step's
    reasons by panel name, `bookmark_errors` a refused bookmark's by field (status 400)."""
    if recording.purged_at is not None:
        return _tombstone(request, recording, status=status)
    may_play = panels.PLAYBACK.may_play(request.user, recording)
    context = {
        **player.context(
            request.user,
            recording,
            may_play=may_play,
            errors=bookmark_errors,
            values=bookmark_values,
        ),
        "nav": "recordings",
        "r": recording,
        "playable": services.playback_source(recording) is not None,
        "has_thumbnail": services.thumbnail_path(recording) is not None,
        "sources": recording.sources.select_related("batch__station"),
        "jobs": Job.objects.filter(subject_type="recording", subject_id=str(recording.pk)),
        "trail": list(
            AuditEntry.objects.filter(
                object_type="recordings.recording", object_id=str(recording.pk)
            ).order_by("-seq")[:50]
        ),
        "can_play": may_play,
        "can_edit": can_edit_case_info(request.user),
        "form": form or CaseInfoForm(initial={f: getattr(recording, f) for f in CASE_FIELDS}),
        "slots": panels.RECORDING.render(
            request, recording, slots=DETAIL_SLOTS, errors=errors, may_play=may_play
        ),
    }
    return render(request, "recordings/detail.html", context, status=status)


@login_required
def recording_detail(request, recording_id: int):
    recording = services.view_recording(request.user, recording_id, ip=client_ip(request))
    return render_detail(request, recording)


@login_required
def recording_case_info(request, recording_id: int):
    """Save 案件编号, 当事人 and 地点 (M4): scope first (404, even for a GET: existence is not
    revealed), then the method (405) and the permission (403)."""
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    require(can_edit_case_info(request.user))
    form = CaseInfoForm(request.POST)
    if not form.is_valid():
        return render_detail(request, recording, form, status=400)
    changed = services.update_case_info(
        request.user, recording_id, **form.cleaned_data, ip=client_ip(request)
    )
    messages.success(request, "案件信息已保存。" if changed else "案件信息没有变化。")
    return redirect("recordings:detail", recording_id=recording_id)


@login_required
def recording_media(request, recording_id: int):
    return stream_media(request, recording_id, download=False)


@login_required
def recording_original(request, recording_id: int):
    return stream_media(request, recording_id, download=True)


@login_required
def recording_thumbnail(request, recording_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    if recording.purged_at is not None:
        return gone(request)
    return thumbnail(request, recording)


@login_required
def batch_list(request):
    require(can_ingest(request.user))
    page = Paginator(
        IngestBatch.objects.visible_to(request.user), settings.AVRECORDS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "recordings/batches.html", {"nav": "batches", "page": page})


@login_required
def batch_detail(request, batch_id: int):
    require(can_ingest(request.user))
    batch = IngestBatch.objects.get_visible(request.user, batch_id)
    return render(
        request,
        "recordings/batch_detail.html",
        {
            "nav": "batches",
            "batch": batch,
            # M9: a file whose recording the user may not see is listed without its name
            "items": batch.items.annotate(recording_shown=recording_shown(request.user)),
        },
    )


@login_required
def quarantine_list(request):
    require(can_ingest(request.user))
    page = Paginator(
        QuarantinedFile.objects.visible_to(request.user), settings.AVRECORDS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "recordings/quarantine.html", {"nav": "quarantine", "page": page})
