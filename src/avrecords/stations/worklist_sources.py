"""待办 sources of the stations (issue 19 §4): a station that has worked and is now silent past
its profile's threshold (one never connected is shown as such on the stations page, not
here: it is being set up), and each camera a station refused and nobody has dealt with yet. They
go to the station's responsible person and to those who manage stations (system
administrators), by the rule the refusal's handling itself checks (`may_handle_refusals`).
Silence is computed when read: no stored flag to go stale."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from avrecords import worklist
from avrecords.equipment.models import Station
from avrecords.stations.health import state_of
from avrecords.stations.models import CameraRefusal
from avrecords.stations.permissions import can_manage_stations


def _stations_of(user):
    """Live stations this person answers for."""
    if not getattr(user, "is_authenticated", False):
        return Station.objects.none()
    live = Station.objects.filter(retired_at__isnull=True)
    if can_manage_stations(user):
        return live
    return live.filter(responsible=user.pk)


def silent_stations(user) -> list[worklist.Task]:
    now = timezone.now()
    tasks = []
    stations = _stations_of(user).filter(state__last_seen_at__isnull=False)
    for station in stations.select_related("unit").order_by("name"):
        health = state_of(station, now=now)
        if not health.silent or health.last_seen_at is None:
            continue
        tasks.append(
            worklist.Task(
                title=f"采集站“{station.name}”{health.badges[0].label}",
                url=reverse("stations:detail", args=[station.pk]),
                detail=f"{station.unit.name}；请检查采集站电脑、网络和采集程序",
                obj=station,
            )
        )
    return tasks


def _refusals(user):
    """Refusals not dealt with, of the stations this person answers for."""
    if not getattr(user, "is_authenticated", False):
        return CameraRefusal.objects.none()
    refusals = CameraRefusal.objects.filter(handled_at__isnull=True)
    if not can_manage_stations(user):
        refusals = refusals.filter(Q(station__responsible=user.pk))
    return refusals


def refused_cameras(user) -> list[worklist.Task]:
    refusals = _refusals(user).select_related("station")
    return [
        worklist.Task(
            title=f"采集站“{r.station.name}”拒绝导入执法记录仪（序列号 {r.serial}）",
            url=reverse("stations:detail", args=[r.station_id]),
            detail=f"{r.reason}；共 {r.attempts} 次，请登记该设备或记录处理情况",
            obj=r,
        )
        for r in refusals.order_by("at", "pk")
    ]


def register() -> None:
    worklist.register(
        "stations.silent",
        group="离线的采集站",
        order=62,
        tasks=silent_stations,
    )
    worklist.register(
        "stations.refused_cameras",
        group="采集站拒绝导入的执法记录仪",
        order=63,
        tasks=refused_cameras,
        count=lambda user: _refusals(user).count(),  # the menu's share: one COUNT
    )
