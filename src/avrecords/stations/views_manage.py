"""Managing 采集站 on pages (issue 19 §1): register a station (its token and a ready
configuration file shown once), edit it, rotate or revoke its token, retire and reinstate it.
Those who may manage stations (`can_manage_stations`), on the stations of their scope; every
rule and its Chinese reason is the service's (`stations.services`), every act audited there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Conflict, Invalid, require
from avrecords.stations import forms
from avrecords.stations import services as svc
from avrecords.stations.permissions import can_manage_stations
from avrecords.stations.views import LIMITS, NAV, NEW_SECRET_KEY, render_detail, station_of


def show_once(request, station, secret: str, title: str) -> None:
    """Keep the secret for the station's page to show once (it is popped there): the token,
    and a configuration file for the agent with the platform's address and the token."""
    config = render_to_string(
        "stations/station.toml",
        {"url": request.build_absolute_uri("/").rstrip("/"), "secret": secret, "station": station},
    )
    request.session[NEW_SECRET_KEY] = {
        "station": station.pk,
        "secret": secret,
        "title": title,
        "config": config,
        "config_lines": config.count("\n") + 1,
    }


def _form(request, station=None, values=None, errors=None, reasons=None, status=200):
    return render(
        request,
        "stations/form.html",
        {
            "nav": NAV,
            "station": station,
            "values": values if values is not None else {},
            "errors": errors or {},
            "reasons": reasons or [],
            "units": forms.unit_choices(request.user, station.unit if station else None),
            "people": forms.responsible_choices(
                request.user, station.responsible if station else None
            ),
            "limits": LIMITS,
        },
        status=status,
    )


def _refused(exc) -> tuple[dict, list]:
    return exc.fields, exc.reasons or ([] if exc.fields else [exc.message])


@login_required
def station_new(request):
    require(can_manage_stations(request.user))
    if request.method != "POST":
        return _form(request, values=request.GET)
    try:
        station, secret = svc.register(
            request.user, ip=client_ip(request), **forms.read_station(request.user, request.POST)
        )
    except (Invalid, Conflict) as exc:
        errors, reasons = _refused(exc)
        return _form(request, None, request.POST, errors, reasons, status=exc.status)
    show_once(request, station, secret, f"已登记采集站“{station.name}”，接入令牌如下")
    messages.success(request, f"已登记采集站 {station.name}")
    return redirect("stations:detail", pk=station.pk)


@login_required
def station_edit(request, pk: int):
    require(can_manage_stations(request.user))
    station = station_of(request, pk)
    if request.method != "POST":
        return _form(request, station, forms.values_of(station))
    try:
        svc.update(
            request.user,
            station,
            ip=client_ip(request),
            **forms.read_station(request.user, request.POST),
        )
    except (Invalid, Conflict) as exc:
        station.refresh_from_db()
        errors, reasons = _refused(exc)
        return _form(request, station, request.POST, errors, reasons, status=exc.status)
    messages.success(request, f"已保存采集站 {station.name}")
    return redirect("stations:detail", pk=station.pk)


def _step(request, pk: int, act):
    """One change on the station's page: its message on success, else the page again with
    the service's reasons and the refusal's status; nothing changed."""
    require(can_manage_stations(request.user))
    station = station_of(request, pk)
    try:
        done = act(station)
    except (Invalid, Conflict) as exc:
        station.refresh_from_db()
        _errors, reasons = _refused(exc)
        reasons = reasons or list(exc.fields.values())
        return render_detail(request, station, reasons=reasons, status=exc.status)
    messages.success(request, done)
    return redirect("stations:detail", pk=station.pk)


@login_required
@require_POST
def station_token(request, pk: int):
    """action=rotate: a new token (the old one void at once), shown once; action=revoke."""

    def act(station):
        if request.POST.get("action") == "revoke":
            svc.revoke_token(request.user, station, ip=client_ip(request))
            return f"已撤销采集站 {station.name} 的接入令牌，采集站已无法连接平台"
        secret = svc.rotate_token(request.user, station, ip=client_ip(request))
        show_once(request, station, secret, f"采集站“{station.name}”的新接入令牌")
        return f"已为采集站 {station.name} 生成新的接入令牌，原令牌已失效"

    return _step(request, pk, act)


@login_required
@require_POST
def station_retire(request, pk: int):
    """action=retire (its token revoked with it) or action=reinstate."""

    def act(station):
        if request.POST.get("action") == "reinstate":
            svc.reinstate(request.user, station, ip=client_ip(request))
            return f"已恢复采集站 {station.name}，请更换令牌后再连接"
        svc.retire(request.user, station, ip=client_ip(request))
        return f"已停用采集站 {station.name}，其令牌已撤销，已上传的记录保留"

    return _step(request, pk, act)
