"""The top bar's search (issue 17 §1): recordings, activities, cases and devices by what each
list's own search understands, within the user's scope, confidential recordings withheld."""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from tests.conftest import client_for
from tests.rows import make

SECRET = "commercial_secret"
AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def _activity(unit, officer, party):
    activity = Activity.objects.create(
        unit=unit,
        kind="inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=AT,
        ended_at=AT + dt.timedelta(hours=1),
        source="web",
        party=party,
    )
    activity.officers.set([officer])
    return activity


def _case(org, number, unit, party, **fields):
    return Case.objects.create(
        number=number,
        title=f"案卷 {number}",
        case_type="penalty",
        unit=unit,
        opened_on=AT.date(),
        created_by=org.admin,
        party=party,
        **fields,
    )


@pytest.fixture
def hualian(org):
    """华联超市 in both squads: a recording, an activity and a case each, plus a confidential
    recording and case in squad 1."""
    make(org, "SQUAD1.MP4", party="华联超市")
    make(org, "SQUAD2.MP4", officer=org.other_officer, party="华联超市")
    make(org, "SECRET.MP4", officer=org.officer2, party="华联超市", secrecy=SECRET)
    _activity(org.squad1, org.officer, "华联超市一店")
    _activity(org.squad2, org.other_officer, "华联超市二店")
    _case(org, "(2026)1号", org.squad1, "华联超市一店")
    _case(org, "(2026)2号", org.squad2, "华联超市二店")
    _case(org, "(2026)3号", org.squad1, "华联超市三店", secrecy=SECRET)


def _search(user, q):
    return client_for(user).get("/search/", {"q": q})


def test_it_finds_each_kind_within_the_users_scope(org, hualian):
    page = _search(org.admin, "华联").content.decode()
    assert "<h2>音像记录 " in page and "SQUAD1.MP4" in page
    assert "<h2>执法活动 " in page and "华联超市一店" in page
    assert "<h2>案卷 " in page and "(2026)1号" in page
    for outside in ("SQUAD2.MP4", "华联超市二店", "(2026)2号"):
        assert outside not in page


def test_it_never_shows_a_confidential_item_to_someone_not_cleared(org, hualian):
    page = _search(org.leader, "华联").content.decode()
    assert "SQUAD1.MP4" in page and "SQUAD2.MP4" in page  # the whole bureau
    assert "SECRET.MP4" not in page and "(2026)3号" not in page
    assert "SECRET.MP4" not in _search(org.admin, "SECRET").content.decode()


def test_it_finds_devices_by_serial_in_scope(org):
    mine = _search(org.admin, "3501001").content.decode()
    assert "<h2>设备 " in mine and f'href="/equipment/devices/{org.camera.pk}/"' in mine
    other = _search(org.other_admin, "3501001").content.decode()
    assert "3501001</span></a>" not in other


def test_it_shows_five_of_a_kind_and_links_to_the_whole_list(org):
    for n in range(7):
        make(org, f"BULK{n}.MP4", party="大润发")
    page = _search(org.admin, "大润发").content.decode()
    assert page.count("BULK") == 5
    assert '<a href="/recordings/?q=%E5%A4%A7%E6%B6%A6%E5%8F%91">查看全部 7 条音像记录</a>' in page


def test_it_says_so_when_nothing_matches(org, hualian):
    page = _search(org.officer, "沃尔玛").content.decode()
    assert "没有找到与“沃尔玛”相关的内容" in page


def test_it_refuses_an_empty_or_too_long_query_in_chinese(org):
    empty = _search(org.officer, "  ")
    assert empty.status_code == 200 and "请输入要搜索的内容" in empty.content.decode()
    long = _search(org.officer, "华" * 101)
    assert long.status_code == 400 and "搜索内容过长，请不超过 100 个字" in long.content.decode()
