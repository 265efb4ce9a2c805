"""M1 deadlines and working days: what `make mutate` found no test for (issue 23 §2, M1).

Each test names the mutant of policies/deadlines.py or lib/workdays.py it kills. The 2026
calendar is the one tests/test_deadlines.py describes (国庆节 1–7 October).
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from avrecords.lib.workdays import Calendar, Override
from avrecords.policies.deadlines import apply_rule, extension_warning, ingest_due
from avrecords.policies.models import PolicyProfile

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def profile(code: str):
    return PolicyProfile.objects.get(code=code).profile


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, text",
    [
        ("tongbai", "记录作出之日起2个工作日内"),
        ("chengde", "当天"),
        ("fuzhou", "结束后24小时内"),
        ("lingchuan", "执法活动结束后24小时内"),
        ("zhanhe", "每次执法活动结束后（24小时内）"),
    ],
)
def test_each_profile_shows_its_deadline_rule_in_the_articles_words(code, text):
    """The rule beside every deadline on the recording page (`describe`): a changed word or
    a rule shown as another's is a different legal obligation."""
    assert ingest_due(profile(code), at("2026-10-12T10:00:00"), Calendar()).rule == text


@pytest.mark.django_db
def test_the_extension_is_shown_in_its_own_words():
    """fuzhou 004§17: with the unit head's consent the rule shown is the extension's."""
    due = ingest_due(profile("fuzhou"), at("2026-10-12T10:00:00"), Calendar(), extended=True)
    assert due.rule == "记录作出之日起2个工作日内"
    assert due.at == at("2026-10-15T00:00:00")


@pytest.mark.django_db
def test_the_day_a_recording_was_made_is_beijings_day_even_when_stored_in_utc():
    """A camera's 07:00 Monday in Beijing is 23:00 Sunday in UTC: the working days and the
    same day are counted from Monday (mutant: the local day taken in the time zone given)."""
    monday_7am = at("2026-11-02T07:00:00").astimezone(UTC)
    assert monday_7am.date() == dt.date(2026, 11, 1)
    tongbai = ingest_due(profile("tongbai"), monday_7am, Calendar())
    assert tongbai.at == at("2026-11-05T00:00:00")  # end of Wednesday, 2 working days after
    chengde = ingest_due(profile("chengde"), monday_7am, Calendar())
    assert chengde.at == at("2026-11-03T00:00:00")  # end of Monday, not of Sunday


@pytest.mark.django_db
def test_a_time_without_a_time_zone_is_refused_not_guessed():
    """A naive end time would be read in the server's zone, hours from Beijing's."""
    rule = profile("tongbai").ingest.deadline
    with pytest.raises(ValueError, match="^ended_at must carry a time zone$"):
        apply_rule(rule, dt.datetime(2026, 11, 2, 7, 0), Calendar())


@pytest.mark.django_db
def test_a_deadline_reaching_two_unknown_years_names_both():
    """The warning beside the deadline lists every guessed year, with 、 between them."""
    cal = Calendar(guessed_years=set())
    due = ingest_due(profile("tongbai"), at("2027-12-31T10:00:00"), cal)
    assert due.warning == "2027、2028年的节假日安排尚未录入，暂按周一至周五为工作日计算"


# --- the calendar (pure) -------------------------------------------------------------------


def test_an_entered_day_without_a_name_is_called_by_what_it_is():
    cal = Calendar(
        overrides={
            dt.date(2030, 1, 1): Override(workday=False),
            dt.date(2030, 1, 5): Override(workday=True),
            dt.date(2030, 2, 1): Override(workday=False, name="春节"),
        }
    )
    assert cal.day_name(dt.date(2030, 1, 1)) == "休息日"
    assert cal.day_name(dt.date(2030, 1, 5)) == "调休上班"
    assert cal.day_name(dt.date(2030, 2, 1)) == "春节"
    assert cal.day_name(dt.date(2030, 1, 2)) == ""  # an ordinary day of an entered year


def test_a_guessed_year_names_no_holiday_and_counts_monday_to_friday():
    cal = Calendar()
    assert cal.day_name(dt.date(2031, 1, 1)) == ""
    assert cal.is_workday(dt.date(2031, 1, 3))  # a Friday
    assert not cal.is_workday(dt.date(2031, 1, 4))  # a Saturday


def test_a_guessed_year_is_logged_once(caplog):
    cal = Calendar()
    with caplog.at_level(logging.WARNING, logger="avrecords.lib.workdays"):
        for day in range(1, 10):
            cal.is_workday(dt.date(2032, 3, day))
    warnings = [r for r in caplog.records if "2032" in r.getMessage()]
    assert len(warnings) == 1 and cal.guessed_years == {2032}


def test_the_library_names_holidays_and_adjusted_working_days_in_chinese():
    cal = Calendar()
    assert cal.day_name(dt.date(2026, 10, 2)) == "国庆节"
    assert cal.day_name(dt.date(2026, 9, 20)) == "国庆节调休上班"
    assert cal.day_name(dt.date(2026, 10, 12)) == ""


def test_the_first_working_day_after_a_day_is_the_next_one_not_the_day_itself():
    cal = Calendar()
    assert cal.nth_working_day_after(dt.date(2026, 10, 12), 1) == dt.date(2026, 10, 13)
    assert cal.nth_working_day_after(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)


@pytest.mark.parametrize("n", [0, -1])
def test_zero_working_days_is_refused(n):
    with pytest.raises(ValueError, match="^n must be >= 1$"):
        Calendar().nth_working_day_after(dt.date(2026, 10, 12), n)


def test_a_year_entered_without_any_working_day_stops_the_search_with_a_reason():
    """The scan is bounded (MAX_DAYS_SCANNED): an administrator's wrong entries give an
    error saying so instead of a loop."""
    start = dt.date(2040, 1, 1)
    every_day_off = {start + dt.timedelta(days=i): Override(workday=False) for i in range(800)}
    with pytest.raises(ValueError, match="^no 2 working days within 400 days of 2040-01-01$"):
        Calendar(overrides=every_day_off).nth_working_day_after(start, 2)


@pytest.mark.django_db
def test_the_extension_warning_is_given_only_for_an_activity_type_prone_to_disputes():
    """004§17 (fuzhou): the unit head is warned before consenting for an activity type prone
    to disputes, and only then; an agency without the extension, or a request naming no
    activity, gives no warning and no error (mutants: the guard's `or` made `and`, the empty
    answer replaced)."""
    fuzhou = profile("fuzhou")
    prone = next(a for a in fuzhou.activities if a.dispute_prone)
    calm = next(a for a in fuzhou.activities if not a.dispute_prone)
    assert (
        extension_warning(fuzhou, prone) == f"“{prone.name}”属于容易引发争议的执法活动，请审慎决定"
    )
    assert extension_warning(fuzhou, calm) == ""
    assert extension_warning(fuzhou, None) == ""
    tongbai = profile("tongbai")
    assert tongbai.ingest.extension is None
    assert extension_warning(tongbai, prone) == ""


@pytest.mark.django_db
def test_an_agency_may_drop_the_warning_for_activity_types_prone_to_disputes():
    """The warning comes from the profile (`extension.warn_for`), not from the activity type
    alone: an agency whose extension names no such warning gives none (mutant: the second
    empty answer replaced)."""
    fuzhou = profile("fuzhou")
    prone = next(a for a in fuzhou.activities if a.dispute_prone)
    extension = fuzhou.ingest.extension.model_copy(update={"warn_for": []})
    quiet = fuzhou.model_copy(
        update={"ingest": fuzhou.ingest.model_copy(update={"extension": extension})}
    )
    assert extension_warning(quiet, prone) == ""


@pytest.mark.django_db
def test_the_return_rule_is_named_only_when_it_gives_more_time():
    """lingchuan 002§15: a trip that ends on the officer's return has both deadlines at the same
    moment; the page names the ordinary rule, and the return rule only when it is later
    (mutant: `>` made `>=`)."""
    lingchuan = profile("lingchuan")
    ended = at("2026-10-12T10:00:00")
    same = ingest_due(lingchuan, ended, Calendar(), returned_at=ended)
    assert (same.at, same.rule) == (at("2026-10-13T10:00:00"), "执法活动结束后24小时内")
    later = ingest_due(lingchuan, ended, Calendar(), returned_at=at("2026-10-12T18:00:00"))
    assert (later.at, later.rule) == (at("2026-10-13T18:00:00"), "返回单位后24小时内")
