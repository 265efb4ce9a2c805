"""Working days on the official Chinese calendar (M1 deadlines such as 000§17 "2个工作日内").

Three sources, in order:

1. the administrators' override table (`policies.HolidayOverride`), for a year the State
   Council publishes after this release, or a local adjustment;
2. the `chinese-calendar` package (holidays and adjusted working weekends, 2004–2026 in
   1.11);
3. for a year neither knows: Monday to Friday are working days, and the answer says so
   (`Calendar.guessed_years`), so a deadline shown on the web carries a visible warning.
   It never raises.

A year counts as known from the overrides as soon as the table holds one entry of it: an
administrator entering 2027 enters its holidays and its adjusted working weekends.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
MAX_DAYS_SCANNED = 400  # no run of non-working days is this long: a guard, not a rule


def _library():
    # imported when a day is first asked about: it builds its solar-term tables on import,
    # which was part of every command's start-up (issue 22 §1)
    import chinese_calendar

    return chinese_calendar


@functools.cache
def library_knows(year: int) -> bool:
    """Whether chinese-calendar has the year's schedule (it raises for the others)."""
    try:
        _library().is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class Override:
    """One day entered by an administrator: a working day or not, with its name."""

    workday: bool
    name: str = ""


@dataclass
class Calendar:
    """Answers "is this a working day" from overrides, the library, then weekends."""

    overrides: Mapping[dt.date, Override] = field(default_factory=dict)
    guessed_years: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._override_years = {day.year for day in self.overrides}

    def source(self, year: int) -> str:
        """'override', 'library' or 'weekends' (a guess)."""
        if year in self._override_years:
            return "override"
        return "library" if library_knows(year) else "weekends"

    def is_workday(self, day: dt.date) -> bool:
        if (entry := self.overrides.get(day)) is not None:
            return entry.workday
        source = self.source(day.year)
        if source == "library":
            return _library().is_workday(day)
        if source == "weekends" and day.year not in self.guessed_years:
            log.warning("no holiday data for %d: counting Monday-Friday as working days", day.year)
            self.guessed_years.add(day.year)
        return day.weekday() < 5

    def day_name(self, day: dt.date) -> str:
        """The holiday or adjusted working day's Chinese name, '' for an ordinary day."""
        if (entry := self.overrides.get(day)) is not None:
            return entry.name or ("调休上班" if entry.workday else "休息日")
        if self.source(day.year) != "library":
            return ""
        on_holiday, name = _library().get_holiday_detail(day)
        if name is None:
            return ""
        zh = HOLIDAY_NAMES_ZH.get(name, name)
        return zh if on_holiday else f"{zh}调休上班"

    def nth_working_day_after(self, day: dt.date, n: int) -> dt.date:
        """The nth working day after `day` (which itself does not count; 期间开始之日不计算在内)."""
        if n < 1:
            raise ValueError("n must be >= 1")
        current, found = day, 0
        for _ in range(MAX_DAYS_SCANNED + n):
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                found += 1
                if found == n:
                    return current
        raise ValueError(f"no {n} working days within {MAX_DAYS_SCANNED} days of {day}")
