"""工作台 (issue 17 §2): where every role lands; what needs me, today's figures for my scope
(never another unit's, never a recording I may not see), the 30-day chart for those who lead."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from avrecords import worklist
from avrecords.compliance.models import Finding, FindingKind, FindingStatus
from tests.conftest import PASSWORD, client_for
from tests.rows import make

SECRET = "commercial_secret"


def _figure(page: str, label: str) -> int:
    found = re.search(r'<strong class="stat[^"]*">(\d+)</strong><span>' + label + "</span>", page)
    assert found, label
    return int(found[1])


def _finding(key, kind, recording, status=FindingStatus.OPEN):
    return Finding.objects.create(
        key=key,
        kind=kind,
        status=status,
        unit=recording.unit,
        officer=recording.officer,
        recording=recording,
        summary="测试问题",
    )


@pytest.fixture
def today(org):
    """Squad 1: one recording stored late; squad 2: one with a gap (and a late finding since
    resolved) and one confidential recording its unit head is not cleared for."""
    a = make(org, "A.MP4")
    b = make(org, "B.MP4", officer=org.other_officer)
    make(org, "C.MP4", officer=org.other_officer, secrecy=SECRET)
    _finding("a-late", FindingKind.LATE_INGEST, a)
    _finding("b-gap", FindingKind.GAP, b)
    _finding("b-late", FindingKind.LATE_INGEST, b, status=FindingStatus.RESOLVED)
    return a, b


def test_every_role_lands_on_the_workbench_after_signing_in(org):
    browser = Client()
    response = browser.post("/login/", {"username": "guanli", "password": PASSWORD})
    assert response["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200 and "<h1>工作台</h1>" in page.content.decode()
    assert Client().get("/")["Location"].startswith("/login/")


def test_a_unit_head_counts_only_his_units_visible_recordings(org, today):
    page = client_for(org.head2).get("/").content.decode()
    assert _figure(page, "今日入库音像记录") == 1  # B; not A (squad 1), not C (confidential)
    assert _figure(page, "逾期存储问题待处理") == 0
    assert _figure(page, "合规问题待处理") == 1
    assert _figure(page, "设备在外（已领用未归还）") == 1


def test_a_leader_counts_the_whole_bureau(org, today):
    page = client_for(org.leader).get("/").content.decode()
    assert _figure(page, "今日入库音像记录") == 2
    assert _figure(page, "逾期存储问题待处理") == 1
    assert _figure(page, "合规问题待处理") == 2
    assert _figure(page, "设备在外（已领用未归还）") == 2
    assert 'href="/findings/?kind=late_ingest"' in page


def test_the_chart_shows_the_last_30_days_with_the_late_ones(org, today):
    page = client_for(org.leader).get("/").content.decode()
    assert '<svg class="chart"' in page and page.count("<g><title>") == 30
    day = timezone.localdate().isoformat()
    assert f"<tr><td>{day}</td><td>2</td><td>2</td></tr>" in page  # A and B, both late once
    head = client_for(org.head2).get("/").content.decode()
    assert f"<tr><td>{day}</td><td>1</td><td>1</td></tr>" in head


def test_an_officer_sees_his_recordings_and_devices_and_no_chart(org, today):
    page = client_for(org.officer).get("/").content.decode()
    assert "<svg" not in page.split("<main>")[1]
    assert "我最近的音像记录" in page and ">A.MP4</a>" in page and "B.MP4" not in page
    assert "3501001" in page and _figure(page, "今日入库音像记录") == 1


def test_it_lists_each_group_of_work_waiting_for_me(org):
    saved = {s.name: s for s in worklist.sources()}  # the apps' sources loaded first
    worklist._SOURCES.clear()
    try:
        assert "暂无待办事项" in client_for(org.officer).get("/").content.decode()
        worklist.register(
            "test.sign",
            group="待我签收的测试材料",
            tasks=lambda user: [worklist.Task("材料", "/"), worklist.Task("材料二", "/")],
        )
        page = client_for(org.officer).get("/").content.decode()
        assert re.search(
            r'<a href="/todo/#g-test-sign"><span>待我签收的测试材料</span> '
            r'<span class="count-badge">2</span>',
            page,
        )
        assert "暂无待办事项" not in page
    finally:
        worklist._SOURCES.clear()
        worklist._SOURCES.update(saved)
