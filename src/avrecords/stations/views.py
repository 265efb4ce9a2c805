"""采集站 pages (issue 19 §1, §4): the list of stations with their state, and a station's page
with its last heartbeat, what it uploaded today, the cameras it refused (and how each was
handled) and its recent audit entries. Those who may manage stations (`can_manage_stations`)
see every station in their scope; an administrator sees the stations he is responsible for.
Each view parses, calls `stations.services`/`stations.health` and renders; the services'
Chinese reasons are shown, nothing is decided here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Station
from avrecords.lib import quantities
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Conflict, Invalid, NotFound, require
from avrecords.org.models import Unit
from avrecords.recordings.models import Recording
from avrecords.stations import forms, health
from avrecords.stations import services as svc
from avrecords.stations.models import CameraRefusal
from avrecords.stations.permissions import (
    can_manage_stations,
    can_view_stations,
    may_handle_refusals,
)

NAV = "stations"
RECENT_ENTRIES = 20
JUST_NOW_SECONDS = 60
TODAY_RECORDINGS_MAX = 200
NEW_SECRET_KEY = "avrecords_station_secret"  # the secret just made, until the page shows it
LIMITS = forms.LIMITS


def stations_in_sight(user):
    """The stations the user's pages show (the one scope rule, `Station.objects.visible_to`)."""
    return Station.objects.visible_to(user).select_related("unit", "responsible", "token")


def station_of(request, pk: int) -> Station:
    require(can_view_stations(request.user))
    try:
        return stations_in_sight(request.user).get(pk=pk)
    except (Station.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def ago(delta) -> str:
    """How long ago a heartbeat came: "刚刚", "3 分钟前", "2 小时 05 分前"."""
    if delta.total_seconds() < JUST_NOW_SECONDS:
        return "刚刚"
    return f"{quantities.duration(delta)}前"


def _row(station: Station, now, state: health.Health, today: health.Today) -> dict:
    last_seen = state.last_seen_at
    return {
        "station": station,
        "badges": state.badges,
        "online": state.online,
        "never": last_seen is None,
        "last_seen_at": last_seen,
        "ago": ago(now - last_seen) if last_seen else "",
        "cameras": state.cameras,
        "today_files": today.files,
        "today_bytes": today.bytes,
        "version": state.agent_version,
    }


def _unit_filter(request) -> int | None:
    try:
        return int(request.GET.get("unit", "")) or None
    except ValueError:
        return None


@login_required
def station_list(request):
    require(can_view_stations(request.user))
    now = timezone.now()
    unit_id = _unit_filter(request)
    stations = stations_in_sight(request.user).order_by("unit__path", "name")
    units = (
        Unit.objects.visible_to(request.user)
        .filter(pk__in=stations.values("unit"))
        .order_by("path")
    )
    if unit_id:
        unit = Unit.objects.visible_to(request.user).filter(pk=unit_id).first()
        stations = stations.filter(unit__path__startswith=unit.path) if unit else stations.none()
    in_use = [s for s in stations if s.retired_at is None]
    # each station's heartbeat, profile and uploads read for the whole list (issue 22 §4)
    states = health.states_of(in_use, now=now)
    todays = health.uploaded_today_of(in_use, now=now)
    live = [_row(s, now, states[s.pk], todays[s.pk]) for s in in_use]
    retired = [{"station": s} for s in stations if s.retired_at is not None]
    summary = {
        "total": len(live),
        "online": sum(1 for r in live if r["online"]),
        "never": sum(1 for r in live if r["never"]),
        "retired": len(retired),
    }
    summary["offline"] = summary["total"] - summary["online"] - summary["never"]
    return render(
        request,
        "stations/list.html",
        {
            "nav": NAV,
            "rows": live,
            "retired": retired,
            "summary": summary,
            "units": units,
            "unit_id": unit_id,
            "may_manage": can_manage_stations(request.user),
        },
    )


def _heartbeat(state, now) -> dict | None:
    """The last heartbeat's facts as the page says them."""
    if state.last_seen_at is None:
        return None
    total = state.total_disk_bytes or 0
    free = state.free_disk_bytes or 0
    return {
        "last_seen_at": state.last_seen_at,
        "ago": ago(now - state.last_seen_at),
        "version": state.agent_version,
        "free_disk_bytes": free,
        "total_disk_bytes": total,
        "free_percent": round(100 * free / total) if total else None,
        "queue_files": state.queue_files,
        "queue_bytes": state.queue_bytes,
        "cameras": state.cameras,
        "clock": _clock(state.clock_offset_seconds),
        "last_error": state.last_error,
    }


def _clock(offset: float | None) -> str:
    if offset is None:
        return "未报告"
    words = health.clock_words(offset)
    return f"比平台{words}" if words[:1] in ("快", "慢") else "与平台一致"


def _today(request, station: Station, now) -> tuple[dict, list]:
    """What the station uploaded today: the counts of all of it, and the recordings the viewer
    may see (the one scope rule's recording list), newest first."""
    today = health.uploaded_today(station, now=now)
    mine = health.uploaded_today_recordings(station, now=now)
    shown = Recording.objects.visible_to(request.user).filter(pk__in=mine.values("pk"))
    rows = list(shown.order_by("-ingested_at", "-pk")[:TODAY_RECORDINGS_MAX])
    counts = {"files": today.files, "bytes": today.bytes, "withheld": today.files - shown.count()}
    return counts, rows


def render_detail(request, station: Station, *, errors=None, reasons=None, status=200, **extra):
    now = timezone.now()
    state = health.state_of(station, now=now)
    counts, today = _today(request, station, now)
    token = svc.token_view(station)
    live = token is not None and not token.is_revoked and not token.is_expired
    new = request.session.pop(NEW_SECRET_KEY, None)
    if new and new.get("station") != station.pk:
        new = None
    entries = AuditEntry.objects.filter(object_type="equipment.station", object_id=str(station.pk))
    context = {
        "nav": NAV,
        "station": station,
        "badges": state.badges,
        "beat": _heartbeat(state, now),
        "token": token,
        "token_live": live,
        "today": counts,
        "today_recordings": today,
        "refusals": CameraRefusal.objects.filter(station=station)
        .select_related("handled_by")
        .order_by("handled_at", "-at"),
        "entries": entries.order_by("-seq")[:RECENT_ENTRIES],
        "may_manage": can_manage_stations(request.user),
        "may_handle": may_handle_refusals(request.user, station),
        "new": new,
        "errors": errors or {},
        "reasons": reasons or [],
        "limits": LIMITS,
        **extra,
    }
    return render(request, "stations/detail.html", context, status=status)


@login_required
def station_detail(request, pk: int):
    return render_detail(request, station_of(request, pk))


@login_required
@require_POST
def refusal_handle(request, pk: int, refusal: int):
    """How a refused camera was dealt with (设备已登记 / 非本单位设备已退回 / 其他：说明): for
    whoever sees the station, the service deciding who may (its 负责人, a system
    administrator)."""
    station = Station.objects.get_visible(request.user, pk)
    found = CameraRefusal.objects.filter(station=station, pk=refusal).first()
    if found is None:
        raise NotFound()
    try:
        note = forms.handling_note(request.POST)
        svc.handle_refusal(request.user, found, note, ip=client_ip(request))
    except (Invalid, Conflict) as exc:
        errors = exc.fields or {"how": exc.message}
        return render_detail(
            request, station, status=exc.status, handle_errors=errors, handle_for=found.pk
        )
    messages.success(request, f"已记录对执法记录仪（序列号 {found.serial}）的处理情况")
    return redirect("stations:detail", pk=station.pk)
