"""Sizes, durations and clock times written the way people read them (issue 17 §7).

One helper for each, used by the template filters (`{% load zh %}`) and by services that build
Chinese sentences: `size(1_250_000)` → "1.2 MB", never "0.00 GB"; `duration(...)` →
"25 分钟", "2 天 3 小时", "1 小时 05 分"; `overdue(...)` → "逾期 25 分钟"; `clock(600)` → "00:10:00".
"""

from __future__ import annotations

import datetime as dt

KIB = 1024
SIZE_UNITS = ("KB", "MB", "GB", "TB", "PB")
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86400


def size(size_bytes: int | float | None) -> str:
    """A size in the unit that gives it one to three digits before the point: 350 KB, 1.2 MB."""
    if size_bytes is None:
        return "—"
    value = float(size_bytes)
    if value < KIB:
        return f"{int(value)} 字节"
    for unit in SIZE_UNITS:
        value /= KIB
        if value < KIB or unit == SIZE_UNITS[-1]:
            digits = 0 if value >= 100 or value == int(value) else 1
            return f"{value:.{digits}f} {unit}"
    raise AssertionError("unreachable")


def _seconds(value: dt.timedelta | int | float) -> int:
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    return int(round(abs(value)))


def duration(value: dt.timedelta | int | float | None) -> str:
    """A length of time in its two largest units, the way a person says it: "不到 1 分钟",
    "25 分钟", "1 小时 05 分", "2 天 3 小时"."""
    if value is None:
        return "—"
    seconds = _seconds(value)
    days, rest = divmod(seconds, SECONDS_PER_DAY)
    hours, rest = divmod(rest, SECONDS_PER_HOUR)
    minutes = rest // SECONDS_PER_MINUTE
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {minutes:02d} 分" if minutes else f"{hours} 小时"
    if minutes:
        return f"{minutes} 分钟"
    return "不到 1 分钟"


def overdue(value: dt.timedelta | int | float | None) -> str:
    """How late something is: "逾期 25 分钟", "逾期 2 天 3 小时"."""
    if value is None:
        return ""
    return f"逾期 {duration(value)}"


def clock(value: dt.timedelta | int | float | None) -> str:
    """A position or length in a recording: 00:10:00 (hours always shown)."""
    if value is None:
        return "—"
    seconds = _seconds(value)
    hours, rest = divmod(seconds, SECONDS_PER_HOUR)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
