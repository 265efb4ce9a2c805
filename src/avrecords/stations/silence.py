"""Silent stations (issue 19 §4): the worker's periodic step `stations.silence` audits a
station's going silent once per silence and tells its responsible person (站内消息). The 待办
item itself needs no step: `worklist_sources` computes silence when it is read.

Cheap when idle (stations are few; one query) and safe with several workers: each report is
claimed by one conditional UPDATE of `silent_reported_at`; the next heartbeat clears it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.notices.services import notify
from avrecords.stations.health import is_silent, thresholds_for
from avrecords.stations.models import StationState

log = logging.getLogger(__name__)


def report_silent_stations(now=None) -> int:
    """Audit and notify each station newly silent past its profile's threshold; how many."""
    now = now or timezone.now()
    unreported = (
        StationState.objects.filter(station__retired_at__isnull=True, last_seen_at__isnull=False)
        .filter(Q(silent_reported_at__isnull=True) | Q(silent_reported_at__lt=F("last_seen_at")))
        .select_related("station", "station__unit", "station__responsible")
    )
    reported = 0
    for state in unreported:
        station = state.station
        limits = thresholds_for(station)
        if not is_silent(state.last_seen_at, limits, now):
            continue
        with transaction.atomic():
            claimed = (
                StationState.objects.filter(pk=state.pk, last_seen_at=state.last_seen_at)
                .filter(
                    Q(silent_reported_at__isnull=True) | Q(silent_reported_at__lt=F("last_seen_at"))
                )
                .update(silent_reported_at=now)
            )
            if not claimed:
                continue
            since = timezone.localtime(state.last_seen_at).strftime("%Y-%m-%d %H:%M")
            title = f"采集站“{station.name}”离线（自 {since} 起无心跳）"
            record(
                "station.silent",
                obj=station,
                summary=title,
                detail={
                    "last_seen_at": state.last_seen_at.isoformat(),
                    "silent_minutes": limits.silent_minutes,
                    "before": {"online": True},
                    "after": {"online": False},
                },
            )
            if station.responsible_id and station.responsible.is_active:
                notify(
                    station.responsible,
                    title,
                    body=f"超过 {limits.silent_minutes} 分钟未收到心跳，请检查采集站电脑、网络和采集程序",
                    url=reverse("stations:detail", args=[station.pk]),
                    kind="station.silent",
                )
        log.info("station %s silent since %s", station.pk, state.last_seen_at.isoformat())
        reported += 1
    return reported
