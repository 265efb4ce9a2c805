"""M4: the pages people use — finding recordings, reading one, signing in — and the API schema."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from avrecords.recordings.models import Recording
from tests import media as m
from tests.conftest import PASSWORD, client_for
from tests.rows import grant

# 杨军's camera; 07:30 on the 21st in Beijing is still the 20th in UTC.
SQUAD2 = "3501004_350221_20261121073000_0001.MP4"
SQUAD1 = [m.H264, m.PHOTO, m.WAV, m.HEVC, m.UNKNOWN_DEVICE]
ALL = frozenset([*SQUAD1, SQUAD2])
ZHANG = frozenset([m.H264, m.PHOTO, m.WAV, m.HEVC])


def _ingest(library: Path, root: Path, station: str, files: dict[str, str]) -> None:
    media_dir = root / "DCIM" / "100MEDIA"
    media_dir.mkdir(parents=True)
    for name, source in files.items():
        shutil.copyfile(library / source, media_dir / name)
    out = io.StringIO()
    call_command("ingest", str(root), "--station", station, "--json", stdout=out)
    assert json.loads(out.getvalue())["counts"]["imported"] == len(files)


@pytest.fixture
def recs(org, library, tmp_path) -> dict[str, Recording]:
    """Six recordings: five from 一中队's station, one from 二中队's; name → recording."""
    _ingest(library, tmp_path / "cam1", "一中队采集站", {n: n for n in SQUAD1})
    _ingest(library, tmp_path / "cam2", "二中队采集站", {SQUAD2: m.H264_B})
    return {r.original_name: r for r in Recording.objects.all()}


def names_on_page(body: str) -> set[str]:
    """The file names in the results table (each row links its name to the detail page)."""
    links = re.findall(r'href="/recordings/\d+/">([^<]+)</a>', body)
    return {html.unescape(n) for n in links} - {"🎧"}  # audio rows link an icon, too


def pager(body: str) -> str:
    return re.search(r"共 \d+ 条，第 \d+ / \d+ 页", body)[0]


def next_link(body: str) -> str | None:
    found = re.search(r'<a href="([^"]+)">下一页</a>', body)
    return html.unescape(found[1]) if found else None


# --- filters --------------------------------------------------------------------------

FILTERS = [
    pytest.param(lambda o, r: {"officer": o.other_officer.pk}, {SQUAD2}, id="officer"),
    pytest.param(lambda o, r: {"officer": o.officer.pk}, ZHANG, id="officer-own"),
    pytest.param(lambda o, r: {"device": "3501004"}, {SQUAD2}, id="device"),
    pytest.param(lambda o, r: {"device": "3509999"}, {m.UNKNOWN_DEVICE}, id="device-unregistered"),
    pytest.param(lambda o, r: {"unit": o.squad2.pk}, {SQUAD2}, id="unit"),
    pytest.param(lambda o, r: {"unit": o.squad1.pk}, set(SQUAD1), id="unit-squad1"),
    pytest.param(lambda o, r: {"unit": o.bureau.pk}, ALL, id="unit-subtree"),
    pytest.param(lambda o, r: {"date_from": "2026-11-21"}, {SQUAD2}, id="date-from-beijing"),
    pytest.param(lambda o, r: {"date_to": "2026-11-20"}, ALL - {SQUAD2}, id="date-to-beijing"),
    pytest.param(
        lambda o, r: {"date_from": "2026-11-20", "date_to": "2026-11-20"},
        ALL - {SQUAD2},
        id="date-range",
    ),
    pytest.param(lambda o, r: {"date_from": "2026-11-22"}, set(), id="date-after-all"),
    pytest.param(lambda o, r: {"media_kind": "photo"}, {m.PHOTO}, id="kind-photo"),
    pytest.param(lambda o, r: {"media_kind": "audio"}, {m.WAV}, id="kind-audio"),
    pytest.param(lambda o, r: {"status": "processing"}, {m.HEVC}, id="status"),
    pytest.param(lambda o, r: {"needs_assignment": "1"}, {m.UNKNOWN_DEVICE}, id="assignment"),
    pytest.param(lambda o, r: {"q": "杨军"}, {SQUAD2}, id="q-officer-name"),
    # File names match by their start (M4 at scale: a prefix index, not a substring one).
    pytest.param(lambda o, r: {"q": m.PHOTO.lower()[:-4]}, {m.PHOTO}, id="q-file-name-prefix"),
    pytest.param(lambda o, r: {"q": r[m.WAV].sha256[:12]}, {m.WAV}, id="q-sha256"),
    pytest.param(
        lambda o, r: {"unit": o.squad1.pk, "media_kind": "video"},
        {m.H264, m.HEVC, m.UNKNOWN_DEVICE},
        id="combined",
    ),
]


def test_it_shows_every_recording_without_filters(org, recs):
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    assert names_on_page(body) == ALL


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_it_narrows_the_list_page_by_each_filter(org, recs, query, expected):
    response = client_for(org.bureau_admin).get("/recordings/", query(org, recs))
    assert response.status_code == 200
    assert names_on_page(response.content.decode()) == expected


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_it_narrows_the_api_list_by_each_filter(org, recs, query, expected):
    body = client_for(org.bureau_admin).get("/api/v1/recordings", query(org, recs)).json()
    assert {r["original_name"] for r in body["results"]} == expected
    assert body["count"] == len(expected)


def test_it_keeps_the_chosen_filters_selected_in_the_form(org, recs):
    body = (
        client_for(org.bureau_admin)
        .get("/recordings/", {"media_kind": "photo", "q": "0006"})
        .content.decode()
    )
    assert '<option value="photo" selected>' in body
    assert 'name="q" value="0006"' in body


def test_it_never_widens_an_officers_list_by_filtering_on_someone_else(org, recs):
    response = client_for(org.officer).get("/recordings/", {"officer": org.other_officer.pk})
    assert names_on_page(response.content.decode()) == set()


# --- pagination -----------------------------------------------------------------------


def test_it_shows_the_page_number_and_count(org, recs, settings):
    settings.AVRECORDS_PAGE_SIZE = 2
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    assert pager(body) == "共 6 条，第 1 / 3 页"
    assert len(names_on_page(body)) == 2


def test_it_keeps_the_filters_in_the_next_page_link(org, recs, settings):
    settings.AVRECORDS_PAGE_SIZE = 2
    client = client_for(org.bureau_admin)
    body = client.get("/recordings/", {"unit": org.squad1.pk}).content.decode()
    assert next_link(body) == f"?unit={org.squad1.pk}&page=2"


def test_it_walks_every_filtered_recording_exactly_once_page_by_page(org, recs, settings):
    settings.AVRECORDS_PAGE_SIZE = 2
    client = client_for(org.bureau_admin)
    body = client.get("/recordings/", {"unit": org.squad1.pk}).content.decode()
    seen, pagers = [], []
    while True:
        seen += sorted(names_on_page(body))
        pagers.append(pager(body))
        link = next_link(body)
        if link is None:
            break
        body = client.get("/recordings/" + link).content.decode()
    assert pagers == ["共 5 条，第 1 / 3 页", "共 5 条，第 2 / 3 页", "共 5 条，第 3 / 3 页"]
    assert sorted(seen) == sorted(SQUAD1)


def test_it_shows_the_last_page_for_a_page_number_past_the_end(org, recs, settings):
    settings.AVRECORDS_PAGE_SIZE = 2
    body = client_for(org.bureau_admin).get("/recordings/", {"page": "99"}).content.decode()
    assert pager(body) == "共 6 条，第 3 / 3 页"


def test_it_pages_the_api_list(org, recs, settings):
    settings.AVRECORDS_PAGE_SIZE = 4
    client = client_for(org.bureau_admin)
    first = client.get("/api/v1/recordings").json()
    second = client.get("/api/v1/recordings", {"page": 2}).json()
    assert (first["count"], first["page_size"], len(first["results"])) == (6, 4, 4)
    assert len(second["results"]) == 2
    names = {r["original_name"] for r in first["results"] + second["results"]}
    assert names == ALL


# --- HTMX -----------------------------------------------------------------------------


def test_it_answers_an_htmx_request_with_only_the_results_table(org, recs):
    response = client_for(org.bureau_admin).get(
        "/recordings/", {"media_kind": "photo"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="facets">')  # the facets, then the table
    assert "<table>" in body
    assert "<html" not in body and 'class="filters"' not in body and "<header>" not in body
    assert names_on_page(body) == {m.PHOTO}
    assert "共 1 条" in body


def test_it_answers_a_plain_request_with_the_whole_page(org, recs):
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    assert body.startswith("<!doctype html>")
    assert 'class="filters"' in body and '<div id="results">' in body


# --- detail page ----------------------------------------------------------------------


def trail(body: str) -> list[tuple[str, str]]:
    """(操作人, 动作) for each row of the 操作记录 table, newest first."""
    section = body.split("<h2>操作记录</h2>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr><td[^>]*>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", section)
    return [(html.unescape(actor), action) for actor, action in rows]


def test_it_shows_the_recordings_metadata(org, recs):
    rec = recs[m.H264]
    body = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    assert f'<dd class="mono hash">{rec.sha256}</dd>' in body
    assert "张伟（执法证号 35020019001）" in body
    assert "3501001" in body
    assert "开始时间来源：文件名" in body  # issue 19 §5
    assert "2026-11-20 09:30:00" in body  # Beijing time, as on the camera


def test_it_shows_why_a_recording_waits_for_assignment(org, recs):
    rec = recs[m.UNKNOWN_DEVICE]
    body = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    assert "待指派原因" in body and "未登记的设备 3509999" in body


def test_it_shows_the_audit_trail_including_this_view(org, recs):
    rec = recs[m.H264]
    body = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    # a station's import is the station's act, named as such (issue 19 §1)
    assert trail(body) == [
        ("林海(guanli)", "查看音像记录"),
        ("采集站：一中队采集站", "导入音像记录"),
    ]


def test_it_shows_the_last_ten_trail_entries_and_folds_the_older_ones(org, recs):
    """A recording viewed often keeps its page short: ten rows, the rest behind 更早的 N 条."""
    rec = recs[m.H264]
    for _ in range(12):
        client_for(org.admin).get(f"/recordings/{rec.pk}/")
    body = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    assert len(trail(body)) == 10
    assert "更早的 4 条操作记录" in body  # 13 views + the ingest = 14 entries


def test_it_shows_who_played_and_downloaded_it_before(org, recs):
    rec = recs[m.H264]
    grant(org.admin, rec)  # M3: a download always needs a live copy grant
    played = client_for(org.officer).get(f"/recordings/{rec.pk}/media")
    b"".join(played.streaming_content)
    downloaded = client_for(org.admin).get(f"/recordings/{rec.pk}/original")
    b"".join(downloaded.streaming_content)
    body = client_for(org.leader).get(f"/recordings/{rec.pk}/").content.decode()
    assert trail(body)[:3] == [
        ("郑国华(lingdao)", "查看音像记录"),
        ("林海(guanli)", "下载音像记录"),
        ("张伟(zhangwei)", "播放音像记录"),
    ]


def test_it_offers_the_download_button_only_to_those_who_may_download(org, recs):
    rec = recs[m.H264]
    url = f"/recordings/{rec.pk}/"
    assert "下载原始文件" not in client_for(org.admin).get(url).content.decode()
    grant(org.admin, rec)  # only a live copy grant lets anyone download (M3)
    grant(org.officer, rec, kind="view")  # a view grant plays, it does not copy
    assert "下载原始文件" in client_for(org.admin).get(url).content.decode()
    assert "下载原始文件" not in client_for(org.officer).get(url).content.decode()
    assert "下载原始文件" not in client_for(org.sysadmin).get(url).content.decode()


def test_it_shows_each_role_only_the_menu_entries_it_may_open(org):
    def menu(user) -> set[str]:
        page = client_for(user).get("/recordings/").content.decode()
        nav = re.search(r'<nav id="side-menu"[^>]*>(.*?)</nav>', page, re.S)
        return {
            t.strip() for t in re.findall(r'(?:<a [^>]*>|class="menu-head"[^>]*>)([^<]+)', nav[1])
        }

    assert {"上传", "导入批次", "隔离文件"} <= menu(org.admin)
    assert "上传" in menu(org.officer) and "导入批次" not in menu(org.officer)
    assert not {"上传", "导入批次", "隔离文件"} & menu(org.leader)
    assert {"案卷", "查阅复制", "登记簿"} <= menu(org.leader)
    assert {"案卷", "查阅复制"} <= menu(org.officer) and "登记簿" not in menu(org.officer)


# --- API errors -----------------------------------------------------------------------


def test_it_explains_api_errors_in_chinese(org, recs):
    anonymous = Client().get("/api/v1/recordings")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "未登录或用户名、密码错误"
    assert "WWW-Authenticate" not in anonymous  # no browser password prompt (issue 15 row 14)

    hidden = client_for(org.other_officer).get(f"/api/v1/recordings/{recs[m.H264].pk}")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == "记录不存在或不在您的权限范围内"

    invalid = client_for(org.admin).get("/api/v1/recordings?date_from=昨天")
    assert invalid.status_code == 422
    assert invalid.json()["detail"] == "参数无效：date_from"


# --- signing in -----------------------------------------------------------------------


def _login(client: Client, username: str, password: str, next_url: str = ""):
    client.get("/login/")
    data = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def test_it_shows_the_login_form(db):
    body = Client().get("/login/").content.decode()
    assert "<h1>登录</h1>" in body
    assert 'name="username"' in body and 'type="password"' in body


def test_it_signs_in_with_real_credentials(org):
    browser = Client(enforce_csrf_checks=True)
    response = _login(browser, "zhangwei", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    page = browser.get("/", follow=True)
    assert (
        page.status_code == 200
        and '张伟<span class="role">（执法人员 · 执法一中队）</span>' in page.content.decode()
    )


def test_it_returns_to_the_page_asked_for_after_signing_in(org, recs):
    browser = Client(enforce_csrf_checks=True)
    url = f"/recordings/{recs[m.H264].pk}/"
    response = _login(browser, "zhangwei", PASSWORD, next_url=url)
    assert response["Location"] == url


def test_it_shows_a_chinese_error_for_a_wrong_password(org):
    browser = Client(enforce_csrf_checks=True)
    response = _login(browser, "zhangwei", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确，请重新输入。" in response.content.decode()
    assert browser.get("/recordings/").status_code == 302


def test_it_refuses_a_login_without_a_csrf_token(org):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/login/", {"username": "zhangwei", "password": PASSWORD})
    assert response.status_code == 403


# --- OpenAPI schema -------------------------------------------------------------------

DECLARED = [
    ("get", "/api/v1/devices/{serial}/checks", {"200", "401", "404"}),
    ("post", "/api/v1/devices/{serial}/checks", {"201", "401", "403", "404", "422"}),
    ("get", "/api/v1/recordings", {"200", "401", "422"}),
    ("get", "/api/v1/recordings/{recording_id}", {"200", "401", "404"}),
    (
        "get",
        "/api/v1/recordings/{recording_id}/media",
        {"200", "206", "401", "403", "404", "409", "410", "416"},
    ),
    (
        "get",
        "/api/v1/recordings/{recording_id}/original",
        {"200", "206", "401", "403", "404", "410", "416"},
    ),
    ("post", "/api/v1/recordings/uploads", {"201", "400", "401", "403", "413", "507"}),
    (
        "post",
        "/api/v1/recordings/{recording_id}/assignment",
        {"200", "401", "403", "404", "409", "422"},
    ),
    # the player's marks and bookmarks (issue 17 §5)
    ("get", "/api/v1/recordings/{recording_id}/marks", {"200", "401", "403", "404"}),
    (
        "post",
        "/api/v1/recordings/{recording_id}/bookmarks",
        {"201", "400", "401", "403", "404", "422"},
    ),
    (
        "delete",
        "/api/v1/recordings/{recording_id}/bookmarks/{bookmark_id}",
        {"204", "401", "403", "404"},
    ),
    ("get", "/api/v1/ingest/batches", {"200", "401", "403", "422"}),
    ("get", "/api/v1/ingest/batches/{batch_id}", {"200", "401", "403", "404"}),
    ("get", "/api/v1/quarantine", {"200", "401", "403", "422"}),
    ("get", "/api/v1/fixity/alarms", {"200", "401", "403", "422"}),
    ("get", "/api/v1/policies", {"200", "401"}),
    ("post", "/api/v1/policies", {"201", "401", "403", "422"}),
    ("get", "/api/v1/policies/{code}", {"200", "401", "404"}),
    ("put", "/api/v1/policies/{code}", {"200", "401", "403", "404", "422"}),
    ("get", "/api/v1/policies/{code}/yaml", {"200", "401", "404"}),
    ("get", "/api/v1/policies/{code}/ingest-due", {"200", "401", "404", "422"}),
    ("get", "/api/v1/activities", {"200", "401", "422"}),
    ("post", "/api/v1/activities", {"201", "401", "403", "409", "422"}),
    ("get", "/api/v1/activities/{activity_id}", {"200", "401", "404"}),
    ("post", "/api/v1/activities/import", {"200", "401", "403", "422"}),
    ("get", "/api/v1/findings", {"200", "401", "422"}),
    ("get", "/api/v1/todo", {"200", "401"}),
    ("get", "/api/v1/cases", {"200", "401", "422"}),
    ("post", "/api/v1/cases", {"201", "401", "403", "422"}),
    ("get", "/api/v1/cases/{case_id}", {"200", "401", "404"}),
    ("post", "/api/v1/cases/{case_id}/close", {"200", "400", "401", "403", "404", "422"}),
    ("post", "/api/v1/cases/{case_id}/file", {"200", "400", "401", "403", "404"}),
    ("post", "/api/v1/cases/{case_id}/recordings", {"200", "400", "401", "403", "404", "422"}),
    ("get", "/api/v1/access-requests", {"200", "401"}),
    ("post", "/api/v1/access-requests", {"201", "400", "401", "404"}),
    ("get", "/api/v1/access-requests/{pk}", {"200", "401", "404"}),
    ("post", "/api/v1/access-requests/{pk}/approve", {"200", "400", "401", "403", "404"}),
    ("post", "/api/v1/access-requests/{pk}/reject", {"200", "400", "401", "403", "404"}),
    ("post", "/api/v1/access-requests/{pk}/execute", {"200", "400", "401", "403", "404"}),
    ("post", "/api/v1/access-requests/{pk}/revoke", {"200", "400", "401", "403", "404"}),
    (
        "get",
        "/api/v1/access-requests/{pk}/package/{artifact}",
        {"200", "400", "401", "403", "404"},
    ),
    ("get", "/api/v1/retention/recordings/{recording_id}", {"200", "401", "403", "404"}),
    (
        "post",
        "/api/v1/retention/recordings/{recording_id}/purge",
        {"200", "401", "403", "404", "409"},
    ),
    ("get", "/api/v1/holds", {"200", "401", "403", "422"}),
    ("post", "/api/v1/holds", {"201", "401", "403", "422"}),
    ("get", "/api/v1/holds/{hold_id}", {"200", "401", "403", "404"}),
    ("post", "/api/v1/holds/{hold_id}/release", {"200", "401", "403", "404", "409", "422"}),
    ("post", "/api/v1/holds/{hold_id}/release/approve", {"200", "401", "403", "404", "409"}),
    (
        "post",
        "/api/v1/holds/{hold_id}/release/reject",
        {"200", "401", "403", "404", "409", "422"},
    ),
    ("get", "/api/v1/disposals", {"200", "401", "403", "422"}),
    ("get", "/api/v1/disposals/{disposal_id}", {"200", "401", "403", "404"}),
    ("post", "/api/v1/disposals/{disposal_id}/purge", {"200", "401", "403", "404", "409"}),
    ("get", "/api/v1/destruction-records", {"200", "401", "403", "422"}),
    # quality scores and online review (S1, S2)
    ("get", "/api/v1/supervision/quality", {"200", "401", "403", "422"}),
    ("get", "/api/v1/supervision/review/activities", {"200", "401", "403", "422"}),
    # violations and accountability (S4, S5)
    ("get", "/api/v1/violations", {"200", "401", "403", "422"}),
    ("post", "/api/v1/violations", {"201", "401", "403", "422"}),
    ("get", "/api/v1/violations/{violation_id}", {"200", "401", "403", "404"}),
    (
        "post",
        "/api/v1/violations/{violation_id}/confirm",
        {"200", "401", "403", "404", "409", "422"},
    ),
    (
        "post",
        "/api/v1/violations/{violation_id}/dismiss",
        {"200", "401", "403", "404", "409", "422"},
    ),
    (
        "post",
        "/api/v1/violations/{violation_id}/decisions",
        {"201", "401", "403", "404", "409", "422"},
    ),
    ("post", "/api/v1/decisions/{decision_id}/approve", {"200", "401", "403", "404", "409"}),
    (
        "post",
        "/api/v1/decisions/{decision_id}/reject",
        {"200", "401", "403", "404", "409", "422"},
    ),
    # spot-check campaigns and scoring (S2, S3)
    ("get", "/api/v1/campaigns", {"200", "401", "403", "422"}),
    ("post", "/api/v1/campaigns", {"201", "401", "403", "422"}),
    ("get", "/api/v1/campaigns/{campaign_id}", {"200", "401", "403", "404"}),
    ("post", "/api/v1/campaigns/{campaign_id}/draw", {"200", "401", "403", "404", "409"}),
    ("post", "/api/v1/campaigns/{campaign_id}/recheck", {"200", "401", "403", "404", "409"}),
    (
        "post",
        "/api/v1/campaigns/{campaign_id}/close",
        {"200", "401", "403", "404", "409", "422"},
    ),
    ("get", "/api/v1/samples/{sample_id}", {"200", "401", "403", "404"}),
    ("get", "/api/v1/tokens", {"200", "401"}),
    # the agency's units and people (issue 18 §2, §3)
    ("get", "/api/v1/units", {"200", "401"}),
    ("post", "/api/v1/units", {"201", "401", "403", "422"}),
    ("get", "/api/v1/units/offices", {"200", "401", "403"}),
    ("get", "/api/v1/units/{unit_id}", {"200", "401", "404"}),
    ("patch", "/api/v1/units/{unit_id}", {"200", "401", "403", "404", "409", "422"}),
    ("post", "/api/v1/units/{unit_id}/retire", {"200", "401", "403", "404", "409", "422"}),
    ("post", "/api/v1/units/{unit_id}/reinstate", {"200", "401", "403", "404", "409"}),
    # 采集站 (issue 19 §1, §4): the administrators' API, then the agent's own (station token)
    ("get", "/api/v1/stations", {"200", "401", "403"}),
    ("post", "/api/v1/stations", {"201", "401", "403", "422"}),
    ("get", "/api/v1/stations/{station_id}", {"200", "401", "404"}),
    ("patch", "/api/v1/stations/{station_id}", {"200", "401", "403", "404", "422"}),
    ("post", "/api/v1/stations/{station_id}/retire", {"200", "401", "403", "404", "409"}),
    ("post", "/api/v1/stations/{station_id}/reinstate", {"200", "401", "403", "404", "409"}),
    ("post", "/api/v1/stations/{station_id}/rotate-token", {"200", "401", "403", "404", "409"}),
    ("post", "/api/v1/stations/{station_id}/revoke-token", {"200", "401", "403", "404", "409"}),
    ("get", "/api/v1/station/me", {"200", "401"}),
    ("post", "/api/v1/station/heartbeat", {"200", "401", "422"}),
    ("post", "/api/v1/station/cameras/check", {"200", "401", "403", "422"}),
    ("get", "/api/v1/people", {"200", "401", "403"}),
    ("post", "/api/v1/people", {"201", "401", "403", "422"}),
    ("get", "/api/v1/people/{person_id}", {"200", "401", "403", "404"}),
    ("patch", "/api/v1/people/{person_id}", {"200", "401", "403", "404", "409", "422"}),
    ("post", "/api/v1/people/{person_id}/password-reset", {"200", "401", "403", "404", "409"}),
    ("post", "/api/v1/people/import", {"200", "401", "403", "422"}),
    ("get", "/api/v1/people/export", {"200", "401", "403"}),
    ("post", "/api/v1/samples/{sample_id}/score", {"200", "401", "403", "404", "409", "422"}),
]


@pytest.fixture
def schema(db) -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_it_lists_every_endpoint_in_the_schema(schema):
    listed = {
        (method, path) for path, operations in schema["paths"].items() for method in operations
    }
    assert listed == {(method, path) for method, path, _ in DECLARED}


@pytest.mark.parametrize(("method", "path", "statuses"), DECLARED, ids=lambda v: str(v))
def test_it_declares_each_endpoints_statuses(schema, method, path, statuses):
    declared = set(schema["paths"][path][method]["responses"])
    assert statuses <= declared


@pytest.mark.parametrize(("method", "path", "statuses"), DECLARED, ids=lambda v: str(v))
def test_it_describes_each_error_as_a_detail_message(schema, method, path, statuses):
    responses = schema["paths"][path][method]["responses"]
    for status in sorted(s for s in statuses if s >= "400" and s != "416"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        expected = "Invalid" if status == "422" else "Error"
        assert ref == f"#/components/schemas/{expected}", (status, ref)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    assert schema["components"]["schemas"]["Invalid"]["required"] == ["detail", "errors"]


def test_it_declares_both_session_and_http_basic_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "basic"}.items() <= schemes["BasicAuth"].items()
    assert schemes["SessionAuth"]["in"] == "cookie"
