"""Where a recording's start time comes from, and which source wins (M1, E7; issue 19 §5).

A recording's start time decides whose custody it falls in, which activity it covers and
whether it was stored in time, so the page says where it came from (`Recording.time_source`,
"开始时间来源：容器元数据"). In order of trust:

1. 文件名 — a GA/T 947 name carries the camera's own start time (`naming.parse_name`);
2. 容器元数据 — the container's creation time or the camera's own tags (`media.probe`);
3. 采集站时钟 — a station upload reports the file's time with the camera's clock offset
   against the station (Upload-Metadata `mtime` and `camera_clock_offset`, camera minus
   station, in seconds): the file's time on the station's clock;
4. 文件修改时间 — the file's modification time, on whatever clock wrote it.

An administrator may set it by hand when assigning (人工指定, `assignment.assign`); the
audit entry keeps the value and source it replaced.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from avrecords.recordings.models import TimeSource

# A clock offset beyond this is not an offset but a camera that never had its clock set;
# the station's reading is then no better than the file's own time.
MAX_CLOCK_OFFSET_SECONDS = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class StartTime:
    """A start time and the source it was read from (a `TimeSource` value)."""

    at: dt.datetime
    source: str


def on_station_clock(mtime: dt.datetime, camera_clock_offset_seconds: float) -> dt.datetime:
    """The file's time on the station's clock: the camera's time minus how far it is ahead."""
    return mtime - dt.timedelta(seconds=camera_clock_offset_seconds)


def usable_offset(value: float | None) -> float | None:
    """The offset if it is a number a clock can be off by, else None."""
    if value is None or not math.isfinite(value) or abs(value) > MAX_CLOCK_OFFSET_SECONDS:
        return None
    return float(value)


def choose(
    name_started_at: dt.datetime | None,
    container_created_at: dt.datetime | None,
    mtime: dt.datetime,
    *,
    camera_clock_offset_seconds: float | None = None,
) -> StartTime:
    """The start time to record at ingest: name, container metadata, station clock, mtime."""
    if name_started_at is not None:
        return StartTime(name_started_at, TimeSource.FILENAME)
    if container_created_at is not None:
        return StartTime(container_created_at, TimeSource.CONTAINER)
    offset = usable_offset(camera_clock_offset_seconds)
    if offset is not None:
        return StartTime(on_station_clock(mtime, offset), TimeSource.STATION)
    return StartTime(mtime, TimeSource.FILE_MTIME)
