"""M1 ingest deadlines per profile, on the official Chinese calendar.

2026 as published (and as chinese-calendar 1.11 has it): 中秋节 Fri 25 – Sun 27 September,
国庆节 Thu 1 – Wed 7 October, adjusted working days Sun 20 September and Sat 10 October.
2027 was not published when this release was made: the calendar counts Monday to Friday
and says so, until an administrator enters the year.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.lib.workdays import Calendar, Override
from avrecords.policies import services
from avrecords.policies.deadlines import ExtensionRefused, extension_warning, ingest_due
from avrecords.policies.models import PolicyProfile
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def profile(code: str):
    return PolicyProfile.objects.get(code=code).profile


def due(code: str, ended: str, cal: Calendar | None = None, **kwargs):
    return ingest_due(profile(code), at(ended), cal or Calendar(), **kwargs)


# --- the calendar ----------------------------------------------------------------------------


def test_holidays_and_adjusted_working_weekends_follow_the_official_calendar():
    cal = Calendar()
    assert not cal.is_workday(dt.date(2026, 10, 1))  # 国庆节
    assert cal.is_workday(dt.date(2026, 10, 10))  # Saturday, 调休上班
    assert cal.is_workday(dt.date(2026, 9, 20))  # Sunday, 调休上班
    assert not cal.is_workday(dt.date(2026, 9, 25))  # Friday, 中秋节
    assert cal.day_name(dt.date(2026, 10, 1)) == "国庆节"
    assert cal.day_name(dt.date(2026, 10, 10)) == "国庆节调休上班"


def test_a_year_the_library_does_not_know_falls_back_to_weekdays_and_says_so():
    cal = Calendar()
    assert cal.source(2027) == "weekends"
    assert cal.is_workday(dt.date(2027, 1, 1))  # a Friday; 元旦 unknown to the library
    assert cal.guessed_years == {2027}


def test_entered_days_make_a_year_known_and_override_the_library():
    cal = Calendar(
        {
            dt.date(2027, 1, 1): Override(False, "元旦"),
            dt.date(2026, 10, 8): Override(False, "本地调整"),
        }
    )
    assert cal.source(2027) == "override" and not cal.is_workday(dt.date(2027, 1, 1))
    assert cal.is_workday(dt.date(2027, 1, 4))  # an ordinary Monday of an entered year
    assert not cal.is_workday(dt.date(2026, 10, 8))
    assert cal.guessed_years == set()


# --- one realistic week per profile ------------------------------------------------------------


def test_tongbai_two_working_days_skip_the_national_day_holiday():
    """000§17: 自记录作出之日起2个工作日内. Recorded Wed 30 Sep 2026 → Thu 8 and Fri 9 Oct."""
    d = due("tongbai", "2026-09-30T16:40:00")
    assert d.at == at("2026-10-10T00:00:00") and d.cite == "000§17" and not d.warning
    assert d.rule == "记录作出之日起2个工作日内"


def test_tongbai_counts_an_adjusted_working_saturday():
    """000§17: recorded Fri 9 Oct → Sat 10 Oct (调休上班) and Mon 12 Oct."""
    assert due("tongbai", "2026-10-09T09:00:00").at == at("2026-10-13T00:00:00")


def test_tongbai_field_trip_gives_24_hours_after_return_when_later():
    """000§17: 异地执法…返回单位后24小时内."""
    d = due("tongbai", "2026-10-12T10:00:00", returned_at=at("2026-10-16T20:00:00"))
    assert d.at == at("2026-10-17T20:00:00") and d.rule == "返回单位后24小时内"
    # A short trip: the ordinary rule is later, and stays.
    d = due("tongbai", "2026-10-12T10:00:00", returned_at=at("2026-10-12T18:00:00"))
    assert d.at == at("2026-10-15T00:00:00") and d.cite == "000§17"


def test_chengde_same_day_ends_at_midnight_whatever_the_calendar():
    """001§19: 当天执法活动结束后，须在第一时间…导出保存. Holidays do not move it."""
    assert due("chengde", "2026-10-01T15:00:00").at == at("2026-10-02T00:00:00")


def test_lingchuan_24_hours_run_through_a_holiday():
    """002§15: 执法结束后24小时内."""
    assert due("lingchuan", "2026-09-30T17:30:00").at == at("2026-10-01T17:30:00")


def test_zhanhe_after_each_activity_with_the_profiles_grace():
    """003§13: 每次执法活动结束后…交法制办下载、存储."""
    d = due("zhanhe", "2026-10-09T11:00:00")
    assert d.at == at("2026-10-10T11:00:00") and "003§13" in d.cite


def test_fuzhou_24_hours_or_2_working_days_with_consent_but_never_for_a_dispute():
    """004§17: 24小时内；经本单位负责人同意可在2个工作日内（现场发生纠纷冲突或突发事件的除外）.
    An activity type prone to disputes is warned about, not refused (issue 20)."""
    assert due("fuzhou", "2026-09-30T16:00:00").at == at("2026-10-01T16:00:00")
    extended = due("fuzhou", "2026-09-30T16:00:00", extended=True)
    assert extended.at == at("2026-10-10T00:00:00") and extended.cite == "004§17"
    with pytest.raises(ExtensionRefused, match="纠纷"):
        due("fuzhou", "2026-09-30T16:00:00", extended=True, dispute=True)
    seizure = next(a for a in profile("fuzhou").activities if a.dispute_prone)
    assert extension_warning(profile("fuzhou"), seizure) == (
        f"“{seizure.name}”属于容易引发争议的执法活动，请审慎决定"
    )
    with pytest.raises(ExtensionRefused, match="没有延长"):
        due("tongbai", "2026-09-30T16:00:00", extended=True)


def test_a_deadline_in_an_unknown_year_carries_a_warning_not_an_error():
    d = due("tongbai", "2026-12-31T10:00:00")  # → Fri 1 (元旦 unknown!) and Mon 4 Jan 2027
    assert d.at == at("2027-01-05T00:00:00")
    assert d.warning == "2027年的节假日安排尚未录入，暂按周一至周五为工作日计算"


def test_entering_2027_on_the_calendar_page_moves_the_deadline_and_is_audited(org):
    client = client_for(org.sysadmin)
    for day, workday, name in (("2027-01-01", "0", "元旦"), ("2027-01-04", "0", "本地调整")):
        response = client.post("/policies/calendar", {"day": day, "workday": workday, "name": name})
        assert response.status_code == 302
    d = ingest_due(profile("tongbai"), at("2026-12-31T10:00:00"), services.calendar())
    assert d.at == at("2027-01-07T00:00:00") and not d.warning  # Tue 5, Wed 6
    assert AuditEntry.objects.filter(action="calendar.set").count() == 2
    body = client.get("/policies/calendar").content.decode()
    assert "管理员已录入" in body and "本地调整" in body
    assert (
        client_for(org.officer)
        .post("/policies/calendar", {"day": "2027-01-05", "workday": "0"})
        .status_code
        == 403
    )
    bad = client.post("/policies/calendar", {"day": "2027-13-40", "workday": "0"}, follow=True)
    assert "日期格式应为" in bad.content.decode()


def test_the_api_computes_a_deadline(org):
    client = client_for(org.officer)
    answer = client.get(
        "/api/v1/policies/tongbai/ingest-due", {"ended_at": "2026-09-30T16:40:00+08:00"}
    ).json()
    assert dt.datetime.fromisoformat(answer["due_at"]) == at("2026-10-10T00:00:00")
    assert (answer["cite"], answer["warning"]) == ("000§17", "")
    naive = client.get("/api/v1/policies/tongbai/ingest-due", {"ended_at": "2026-09-30T16:40:00"})
    assert naive.status_code == 422 and "时区" in naive.json()["detail"]
