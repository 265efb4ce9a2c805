"""Working days (M1): a holiday the calendar package names without a Chinese name of ours,
and a long count of working days.

`lib/workdays.Calendar.day_name` gives a holiday's Chinese name from its own table of the
`chinese-calendar` package's English names. A newer release of the package may name a holiday
that table does not know yet: that day must still be named, by the package's own name, and
an adjusted working day for it must still say 调休上班 — never a blank or "None". Kills
`HOLIDAY_NAMES_ZH.get(name, None)`, `.get(name)` and `.get(name, )` (issue 23 §2); the
count's mutant is named in its test.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from avrecords.lib.workdays import HOLIDAY_NAMES_ZH, Calendar

NEW_NAME = "Victory Day"  # a holiday a later chinese-calendar release might add


def test_a_holiday_without_a_chinese_name_is_shown_by_its_own_name(monkeypatch):
    assert NEW_NAME not in HOLIDAY_NAMES_ZH
    days = {dt.date(2026, 9, 3): (True, NEW_NAME), dt.date(2026, 9, 6): (False, NEW_NAME)}
    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", lambda day: days[day])
    cal = Calendar()
    assert cal.day_name(dt.date(2026, 9, 3)) == "Victory Day"
    assert cal.day_name(dt.date(2026, 9, 6)) == "Victory Day调休上班"


def test_a_count_of_a_years_working_days_is_found_the_guard_is_for_days_off_only():
    """`MAX_DAYS_SCANNED` bounds a run of days off, not the count asked for: 250 working days
    (a year's) after Wednesday 1 January 2031, a year counted Monday to Friday, are 50 weeks
    later. Kills `range(MAX_DAYS_SCANNED - n)`, which gave up after 150 days."""
    cal = Calendar()
    assert cal.nth_working_day_after(dt.date(2031, 1, 1), 250) == dt.date(2031, 12, 17)
    assert cal.nth_working_day_after(dt.date(2031, 1, 1), 5) == dt.date(2031, 1, 8)
