"""How a collection station is doing (issue 19 §4): its state in Chinese words from its last
heartbeat and its unit's profile (`stations` section), and what it uploaded today.

The states, each a `Badge` (words and tone for the page):
- 已停用 — retired; nothing else is said.
- 从未连接 — never sent a heartbeat.
- 在线 / 离线（自 …）— silent for more than `silent_minutes` is offline (exactly that long is
  still online), since its last heartbeat.
- 队列积压 N 个文件 — more than `backlog_files` waiting.
- 磁盘将满（剩余 N%）— free disk below `disk_warn_percent` of its size.
- 时钟偏差 … — its clock more than `clock_tolerance_seconds` off the platform's.
The last three are its last report's, said whether it is online or not (a full disk may be
why it went silent). Pure functions of the state, thresholds and now, tested at the bounds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.db.models import Count, Sum
from django.utils import timezone

from avrecords.equipment.models import Station
from avrecords.policies.schema_values import STATIONS_NOTE
from avrecords.policies.services import profile_for_unit, profiles_for_units
from avrecords.recordings.models import IngestItem, Recording
from avrecords.stations.models import StationState

if TYPE_CHECKING:
    from avrecords.policies.schema import Stations as Thresholds


@cache
def _default_thresholds() -> Thresholds:
    # built when first asked, not when the app loads: the schema (pydantic) is no part of
    # every command's start-up (issue 22 §1)
    from avrecords.policies.schema import Stations

    return Stations(note=STATIONS_NOTE)


OK, WARN, BAD, MUTED = "ok", "warn", "bad", ""


@dataclass(frozen=True)
class Badge:
    """One word about a station's state, with its tone (`ok`, `warn`, `bad`, or none)."""

    label: str
    tone: str = ""

    @property
    def severity(self) -> str:
        return self.tone or "muted"


@dataclass(frozen=True)
class Health:
    """A station's state as pages, the API and 待办 show it, with its last report's facts."""

    badges: list[Badge]
    online: bool
    silent: bool  # silent past the threshold (or never seen), and not retired
    last_seen_at: dt.datetime | None = None
    agent_version: str = ""
    free_disk_bytes: int | None = None
    total_disk_bytes: int | None = None
    queue_files: int = 0
    queue_bytes: int = 0
    cameras: list[str] = field(default_factory=list)
    clock_offset_seconds: float | None = None
    last_error: str = ""

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.badges]


def thresholds_for(station: Station) -> Thresholds:
    """The `stations` section of the profile the station's unit follows (the platform's
    values where it follows none)."""
    return _limits(profile_for_unit(station.unit))


def clock_words(seconds: float | None) -> str:
    """An offset as people say it: "快 2 分 10 秒", "慢 40 秒", "" when unknown."""
    if seconds is None:
        return ""
    whole = round(abs(seconds))
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} 小时"] if hours else []
    parts += [f"{minutes} 分"] if minutes else []
    parts += [f"{rest} 秒"] if rest or not parts else []
    return ("快 " if seconds > 0 else "慢 " if seconds < 0 else "") + " ".join(parts)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def is_silent(last_seen_at: dt.datetime | None, limits: Thresholds, now: dt.datetime) -> bool:
    if last_seen_at is None:
        return True
    return now - last_seen_at > dt.timedelta(minutes=limits.silent_minutes)


def assess(
    state: StationState | None,
    limits: Thresholds,
    now: dt.datetime,
    *,
    retired: bool = False,
) -> Health:
    """The station's Health from its last heartbeat (None: never) at `now` (pure)."""
    if retired:
        return Health([Badge("已停用", MUTED)], online=False, silent=False)
    if state is None or state.last_seen_at is None:
        return Health([Badge("从未连接", WARN)], online=False, silent=True)
    seen = state.last_seen_at
    silent = is_silent(seen, limits, now)
    badges = [Badge(f"离线（自 {_local(seen)}）", BAD) if silent else Badge("在线", OK)]
    if state.queue_files > limits.backlog_files:
        badges.append(Badge(f"队列积压 {state.queue_files} 个文件", WARN))
    free, total = state.free_disk_bytes, state.total_disk_bytes
    if free is not None and total:
        # below the percentage: free/total < p/100, compared in integers (no rounding at the bound)
        if free * 100 < limits.disk_warn_percent * total:
            badges.append(Badge(f"磁盘将满（剩余 {free * 100 // total}%）", BAD))
    offset = state.clock_offset_seconds
    if offset is not None and abs(offset) > limits.clock_tolerance_seconds:
        badges.append(Badge(f"时钟偏差 {clock_words(offset)}", WARN))
    return Health(
        badges,
        online=not silent,
        silent=silent,
        last_seen_at=seen,
        agent_version=state.agent_version,
        free_disk_bytes=free,
        total_disk_bytes=total,
        queue_files=state.queue_files,
        queue_bytes=state.queue_bytes,
        cameras=list(state.cameras or []),
        clock_offset_seconds=offset,
        last_error=state.last_error,
    )


def state_of(station: Station, *, now: dt.datetime | None = None) -> Health:
    """The station's Health now, from its stored heartbeat and its unit's profile."""
    state = StationState.objects.filter(station=station).first()
    return assess(
        state,
        thresholds_for(station),
        now or timezone.now(),
        retired=station.retired_at is not None,
    )


def states_of(stations, *, now: dt.datetime | None = None) -> dict[int, Health]:
    """`state_of` for every station of a list, by station id, in two queries (their heartbeats,
    their units' profiles) whatever their number (issue 22 §4)."""
    stations = list(stations)
    now = now or timezone.now()
    states = {s.station_id: s for s in StationState.objects.filter(station__in=stations)}
    profiles = profiles_for_units(station.unit for station in stations)
    return {
        station.pk: assess(
            states.get(station.pk),
            _limits(profiles[station.unit_id]),
            now,
            retired=station.retired_at is not None,
        )
        for station in stations
    }


def _limits(profile) -> Thresholds:
    return profile.stations if profile is not None else _default_thresholds()


# --- what it uploaded today ----------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    files: int
    bytes: int


def _start_of_day(now: dt.datetime | None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def uploaded_today(station: Station, *, now: dt.datetime | None = None) -> Today:
    """Files the station's imports stored as new recordings since local midnight, and their
    size (duplicates and quarantined files not counted)."""
    totals = IngestItem.objects.filter(
        batch__station=station,
        batch__started_at__gte=_start_of_day(now),
        outcome=IngestItem.Outcome.IMPORTED,
    ).aggregate(files=Count("pk"), size=Sum("size_bytes"))
    return Today(totals["files"] or 0, totals["size"] or 0)


def uploaded_today_of(stations, *, now: dt.datetime | None = None) -> dict[int, Today]:
    """`uploaded_today` for every station of a list, by station id, in one query."""
    stations = list(stations)
    totals = (
        IngestItem.objects.filter(
            batch__station__in=stations,
            batch__started_at__gte=_start_of_day(now),
            outcome=IngestItem.Outcome.IMPORTED,
        )
        .values("batch__station")
        .annotate(files=Count("pk"), size=Sum("size_bytes"))
        .order_by()
    )
    found = {t["batch__station"]: Today(t["files"] or 0, t["size"] or 0) for t in totals}
    return {station.pk: found.get(station.pk, Today(0, 0)) for station in stations}


def uploaded_today_recordings(station: Station, *, now: dt.datetime | None = None):
    """Those recordings (a queryset over every recording: the caller applies the viewer's
    scope rule, `Recording.objects.visible_to`)."""
    items = IngestItem.objects.filter(
        batch__station=station,
        batch__started_at__gte=_start_of_day(now),
        outcome=IngestItem.Outcome.IMPORTED,
    )
    return Recording.objects.filter(pk__in=items.values("recording_id"))
