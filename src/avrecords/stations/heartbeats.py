"""A station's heartbeat (issue 19 §4): what its agent reports every minute or so is kept in
`StationState`, overwritten each time. Heartbeats are not audited one by one (they would flood
the chain): only the first contact, and the first after a silence past the profile's
threshold, are — the silence itself is audited once by the worker's step (`silence.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.equipment.models import Station
from avrecords.stations.health import is_silent, thresholds_for
from avrecords.stations.models import StationState

VERSION_MAX_CHARS = 40
ERROR_MAX_CHARS = 500
CAMERAS_MAX = 64


@dataclass(frozen=True)
class Beat:
    """What the agent reports (already bounded by the API's schema)."""

    version: str = ""
    free_disk_bytes: int | None = None
    total_disk_bytes: int | None = None
    queue_files: int = 0
    queue_bytes: int = 0
    cameras: tuple[str, ...] = ()
    clock_offset_seconds: float | None = None
    last_error: str = ""


def record_heartbeat(station: Station, beat: Beat, *, ip: str = "") -> StationState:
    """Keep the report; audit the station's coming (back) online."""
    with transaction.atomic():
        state, _ = StationState.objects.select_for_update().get_or_create(station=station)
        now = timezone.now()
        before = state.last_seen_at
        back = is_silent(before, thresholds_for(station), now)
        state.last_seen_at = now
        state.agent_version = beat.version[:VERSION_MAX_CHARS]
        state.free_disk_bytes = beat.free_disk_bytes
        state.total_disk_bytes = beat.total_disk_bytes
        state.queue_files = beat.queue_files
        state.queue_bytes = beat.queue_bytes
        state.cameras = list(dict.fromkeys(beat.cameras))[:CAMERAS_MAX]
        state.clock_offset_seconds = beat.clock_offset_seconds
        state.last_error = beat.last_error[:ERROR_MAX_CHARS]
        state.last_ip = ip[:45]
        state.silent_reported_at = None
        state.save()
        if back:
            if before is None:
                summary = f"采集站“{station.name}”首次连接（采集程序 {beat.version or '版本未知'}）"
            else:
                local = timezone.localtime(before).strftime("%Y-%m-%d %H:%M")
                summary = f"采集站“{station.name}”恢复连接（自 {local} 起离线）"
            record(
                "station.online",
                obj=station,
                actor_label=station.audit_label,
                summary=summary,
                detail={
                    "before": {"last_seen_at": before.isoformat() if before else None},
                    "after": {"last_seen_at": now.isoformat(), "version": state.agent_version},
                },
                ip=ip,
            )
    return state
