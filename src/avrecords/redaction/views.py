"""The redaction pages (issue 21 §3; 000§19, 001§25, 003§14, 004§21; M2, M3): the request
form on a recording, and one page per redacted copy — its state and progress while the job
works (polled), the review of every tracked box over the player while it waits for review,
the rendered copy and its sign-off when ready, then where to ask for it to be handed over.

Views parse, call `redaction.services` and render; every rule (who may, which state allows
what) and every audit entry is the service's. A refused step shows the page again with the
service's Chinese reason (400); nothing is changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from avrecords.lib.http import client_ip, post_only, reasons_of
from avrecords.lib.quantities import clock
from avrecords.lib.ranges import (
    UNSATISFIABLE,
    parse_range,
    player_start,
    ranged_response,
    unsatisfiable_response,
)
from avrecords.lib.redaction.errors import RedactionError
from avrecords.lib.refusals import Forbidden, NotFound, Refusal, require
from avrecords.panels import PLAYBACK
from avrecords.recordings import services as recordings
from avrecords.recordings.models import Recording
from avrecords.redaction import forms, services, who, words
from avrecords.redaction.models import Redaction, RedactionTrack

NAV = "recordings"
REFUSED = (Refusal, RedactionError)
# the service's field names → the form's
FIELDS = {"start_seconds": "start", "end_seconds": "end", "audio_ranges": "audio"}


def _recording(request, recording_id: int) -> Recording:
    recording = Recording.objects.get_visible(request.user, recording_id)  # 404 out of scope
    require(who.may_request(request.user, recording), who.why_not(request.user, recording))
    return recording


def _redaction(request, pk: int) -> Redaction:
    """The copy, seen by those who see its recording (404), reviewed by those `who` names
    (403)."""
    redaction = Redaction.objects.get_visible(request.user, pk)
    require(who.may_review(request.user, redaction), who.why_not(request.user, redaction.recording))
    return services.settle_if_abandoned(redaction)


# --- the request form ----------------------------------------------------------------------


def _request_page(request, recording, form, status=200):
    context = {
        "nav": NAV,
        "rec": recording,
        "form": form,
        "v": form.values,
        "targets": words.TARGETS.items(),
        "styles": words.STYLES.items(),
        "sounds": words.SOUNDS.items(),
        "length_clock": clock(recording.duration_seconds or 0),
    }
    return render(request, "redaction/request.html", context, status=status)


@login_required
def request_new(request, recording_id: int):
    """申请脱敏副本: the form (GET), or the request made (POST → its page)."""
    recording = _recording(request, recording_id)
    if request.method != "POST":
        return _request_page(request, recording, forms.blank())
    form = forms.read(request.POST)
    if not form.valid:
        return _request_page(request, recording, form, status=400)
    try:
        made = services.request(request.user, recording, **form.asked)
    except REFUSED as exc:
        fields = getattr(exc, "fields", None) or {}
        form.errors.update({FIELDS.get(k, k): v for k, v in fields.items()})
        if not fields:
            form.errors["general"] = "；".join(reasons_of(exc))
        return _request_page(request, recording, form, status=400)
    messages.success(request, "已提交脱敏申请，系统正在识别需要遮盖的内容")
    return redirect("redaction:detail", pk=made.pk)


# --- the copy's page -----------------------------------------------------------------------


def _timeline(redaction, tracks) -> list[dict]:
    """Each track as a bar on the copy's stretch: left and width in percent."""
    start = float(redaction.start_seconds or 0)
    end = redaction.end_seconds
    if end is None:
        end = float(redaction.recording.duration_seconds or 0)
    length = max(float(end) - start, 0.001)
    bars = []
    for track in tracks:
        times = [float(b[0]) for b in track.boxes or []]
        first, last = (min(times), max(times)) if times else (start, start)
        left = max(0.0, (first - start) / length)
        width = max(0.005, min(1.0 - left, (last - first) / length))
        bars.append(
            {
                "t": track,
                "left": f"{100 * left:.2f}",
                "width": f"{100 * width:.2f}",
                "span": f"{clock(first)}–{clock(last)}",
                "first": f"{first:.2f}",
            }
        )
    return bars


def _context(request, redaction: Redaction, errors=None) -> dict:
    recording = redaction.recording
    tracks = list(RedactionTrack.objects.filter(redaction=redaction).order_by("pk"))
    state = redaction.state
    may_play = PLAYBACK.may_play(request.user, recording)
    return {
        "nav": NAV,
        "r": redaction,
        "rec": recording,
        "running": state in words.RUNNING,
        "percent": words.percent(redaction.progress),
        "eta": words.eta(redaction.eta_seconds) if state in words.RUNNING else "",
        "settings": words.settings_of(redaction),
        "tracks": _timeline(redaction, tracks),
        "hidden_count": sum(1 for t in tracks if t.hide),
        "reviewing": state == "review",
        "editable": state in ("review", "ready"),  # services.EDITABLE
        "has_copy": state in ("ready", "signed_off") and bool(redaction.output_path),
        "may_play": may_play,
        "playable": recordings.playback_source(recording) is not None,
        "start": float(redaction.start_seconds or 0),
        "end": float(
            recording.duration_seconds or 0
            if redaction.end_seconds is None
            else redaction.end_seconds
        ),
        "errors": errors or [],
        "hand_over": f"{reverse('access:new')}?kind=redacted&redaction={redaction.pk}",
    }


def _page(request, redaction, *, errors=None, status=200):
    context = _context(request, redaction, errors)
    return render(request, "redaction/detail.html", context, status=status)


@login_required
def detail(request, pk: int):
    return _page(request, _redaction(request, pk))


@login_required
def progress(request, pk: int):
    """The state card alone, polled every 2 s while the job works; once the state differs
    from the one the page shows (`?shown=`), the whole page is loaded again (HX-Refresh)."""
    redaction = _redaction(request, pk)
    if request.GET.get("shown") and request.GET["shown"] != redaction.state:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "redaction/_state.html", _context(request, redaction))


@login_required
def tracks(request, pk: int):
    """The tracks with their keyframes, for the overlay drawn over the player."""
    redaction = _redaction(request, pk)
    return JsonResponse(services.tracks_json(redaction))


def _step(request, pk: int, act, done: str, *, hx_template: str | None = None):
    """A POST step on the copy: 405 for another method; refused → the page with the reason
    (400), or only the reason from a script (HTMX / fetch); done → the page with `done`."""
    redaction = _redaction(request, pk)
    if refused := post_only(request):
        return refused
    scripted = bool(request.headers.get("HX-Request")) or "json" in request.headers.get(
        "Accept", ""
    )
    try:
        act(redaction)
    except (NotFound, Forbidden):
        raise  # 404 / 403 pages, as everywhere
    except REFUSED as exc:
        redaction.refresh_from_db()
        if scripted:
            return JsonResponse({"detail": "；".join(reasons_of(exc))}, status=400)
        return _page(request, redaction, errors=reasons_of(exc), status=400)
    if hx_template and request.headers.get("HX-Request"):
        redaction.refresh_from_db()
        return render(request, hx_template, _context(request, redaction))
    if scripted:
        return JsonResponse({"detail": done})
    messages.success(request, done)
    return redirect("redaction:detail", pk=redaction.pk)


@login_required
def cancel(request, pk: int):
    return _step(request, pk, lambda r: services.cancel(request.user, r), "已取消该脱敏副本")


@login_required
def track_hide(request, pk: int, track_id: int):
    """遮盖 / 不遮盖 one track (HTMX: the track list again)."""
    hide = request.POST.get("hide") == "1"

    def act(redaction):
        track = RedactionTrack.objects.filter(pk=track_id, redaction=redaction).first()
        if track is None:
            raise NotFound()
        services.set_hidden(request.user, track, hide)

    said = "该目标将被遮盖" if hide else "该目标不再遮盖"
    return _step(request, pk, act, said, hx_template="redaction/_tracks.html")


def _box(post) -> tuple[float, tuple[float, float, float, float]]:
    try:
        t = float(post.get("t", ""))
        box = tuple(float(post.get(k, "")) for k in ("x", "y", "w", "h"))
    except ValueError as exc:
        raise Refusal("请在暂停的画面上拖动鼠标画出遮盖框") from exc
    return t, box


@login_required
def add_box(request, pk: int):
    """添加遮盖框: a rectangle drawn on the paused frame (fractions of the frame), tracked
    forward by the service."""

    def act(redaction):
        t, box = _box(request.POST)
        services.add_box(request.user, redaction, t=t, box=box)

    return _step(request, pk, act, "已添加遮盖框，并向后自动跟踪")


@login_required
def rerender(request, pk: int):
    return _step(
        request,
        pk,
        lambda r: services.rerender(request.user, r),
        "已开始重新生成脱敏副本",
    )


@login_required
def sign_off(request, pk: int):
    return _step(
        request,
        pk,
        lambda r: services.sign_off(request.user, r),
        "已确认该脱敏副本可以提供，可申请提供脱敏副本",
    )


@login_required
def copy(request, pk: int):
    """The rendered copy played to its reviewers (each delivery audited by the service), with
    ranges so the player can seek. It is never downloaded from here: a copy leaves only through
    an executed 提供脱敏副本 request (access)."""
    redaction = Redaction.objects.get_visible(request.user, pk)
    range_header = request.META.get("HTTP_RANGE")
    handle = services.open_copy(
        request.user,
        redaction,
        ip=client_ip(request),
        audit=player_start(range_header),  # one entry per playback, not one per seek
    )
    size = int(redaction.output_size or 0)
    span = parse_range(range_header, size)
    if span is UNSATISFIABLE:
        handle.close()
        return unsatisfiable_response(size)
    return ranged_response(lambda: handle, size, "video/mp4", span)
