"""M4: searching recordings by party, place, case number, person, device, unit, dates, kind
and status, Chinese substrings included; capped counts; facets that narrow but never widen.

Rows are made directly (no media): searching reads only the database. Every test runs on
SQLite and, with DATABASE_URL=postgresql://…, on PostgreSQL, where the same answers must
come through the trigram index (test_it_answers_text_searches_from_the_trigram_index).
"""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection, transaction

from avrecords.recordings import listing
from avrecords.recordings.models import Recording
from tests.conftest import Org, client_for
from tests.rows import make


@pytest.fixture(scope="module")
def search_world(django_db_setup, django_db_blocker):
    """The bureau of conftest's `Org` and its ten rows, made once for the module inside a
    transaction rolled back at its end; each test's own (pytest-django's `db`) is a savepoint
    inside it, as in Django's TestCase.setUpTestData: every test starts from the same rows,
    made once instead of 122 times (issue 22)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            org = Org()
            yield org, make_rows(org)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def org(search_world, db) -> Org:
    return search_world[0]


@pytest.fixture
def rows(search_world, db) -> dict[str, Recording]:
    """The ten rows as this test's database holds them; name → row."""
    return {r.original_name: r for r in Recording.objects.filter(pk__in=search_world[1])}


def make_rows(org) -> list[int]:
    """Ten recordings in two squads with parties, places and case numbers; their ids."""
    made = [
        make(
            org,
            "a1.mp4",
            party="桐城市华兴贸易有限公司",
            place="城东区东湖街道湖滨南路8号",
            case_number="桐市监罚〔2026〕123号",
            at=(2026, 11, 20, 9, 0),
        ),
        make(
            org,
            "a2.jpg",
            party="张三",
            place="城西区西园街道人民路1号",
            media_kind="photo",
            at=(2026, 10, 5, 15, 0),
        ),
        make(
            org,
            "a3.wav",
            party="张",
            place="湖里区",
            media_kind="audio",
            status="processing",
            case_number="桐市监检〔2025〕7号",
            at=(2025, 12, 31, 23, 30),
        ),
        make(
            org,
            "a4.mp4",
            party="李张明",
            place="江北区湖滨路99号",
            officer=org.officer2,
            at=(2026, 11, 1, 0, 30),
        ),
        make(
            org,
            "a5.mp4",
            party="ABC Trading（桐城）有限公司",
            place="高新区软件园二期",
            status="failed",
            at=(2026, 9, 9, 9, 9),
        ),
        make(org, "a6.mp4", party="50%折扣店", place="城东区凤凰街道", at=(2026, 8, 1, 8, 0)),
        make(
            org,
            "b1.mp4",
            party="桐城市兴华食品有限公司",
            place="城东区湖滨北路2号",
            officer=org.other_officer,
            case_number="桐东市监罚〔2026〕5号",
            at=(2026, 11, 21, 7, 30),
        ),
        make(
            org,
            "b2.jpg",
            party="王五",
            place="华兴路",
            officer=org.other_officer,
            media_kind="photo",
            at=(2026, 11, 19, 16, 0),
        ),
        make(
            org,
            "u1.mp4",
            officer=False,
            unit=org.squad2,
            device_serial="3509999",
            officer_no="359999",
            needs_assignment=True,
            at=(2026, 11, 18, 12, 0),
        ),
        make(
            org,
            "d1.mp4",
            party="",
            place="",
            device=org.camera,
            device_serial="3501001",
            at=(2026, 11, 17, 12, 0),
        ),
    ]
    return [r.pk for r in made]


ALL = {
    "a1.mp4",
    "a2.jpg",
    "a3.wav",
    "a4.mp4",
    "a5.mp4",
    "a6.mp4",
    "b1.mp4",
    "b2.jpg",
    "u1.mp4",
    "d1.mp4",
}
SQUAD1 = {"a1.mp4", "a2.jpg", "a3.wav", "a4.mp4", "a5.mp4", "a6.mp4", "d1.mp4"}


def names(body: str) -> set[str]:
    found = re.findall(r'href="/recordings/\d+/">([^<]+)</a>', body)
    return {html.unescape(n) for n in found} - {"🎧"}  # audio rows link an icon, too


def listed(user, **params) -> set[str]:
    response = client_for(user).get("/recordings/", params)
    assert response.status_code == 200
    return names(response.content.decode())


def api_listed(user, **params) -> set[str]:
    body = client_for(user).get("/api/v1/recordings", params).json()
    assert body["count"] == len(body["results"]) and not body["count_capped"]
    return {r["original_name"] for r in body["results"]}


SEARCHES = [
    # party, place, case number: 3+ characters anywhere, 2 anywhere, 1 at the start
    ({"party": "华兴贸"}, {"a1.mp4"}),
    ({"party": "兴贸"}, {"a1.mp4"}),
    ({"party": "华兴"}, {"a1.mp4"}),  # not b2's *place* 华兴路, not b1's 兴华
    ({"party": "张"}, {"a2.jpg", "a3.wav"}),  # starts with 张: not 李张明
    ({"party": "张明"}, {"a4.mp4"}),
    ({"party": "ａｂｃ"}, {"a5.mp4"}),  # full-width, upper case
    ({"party": "trading（桐城"}, {"a5.mp4"}),
    ({"party": "50%"}, {"a6.mp4"}),  # % is a character, not a wildcard
    ({"party": "%"}, set()),
    ({"party": "_"}, set()),
    ({"place": "湖滨"}, {"a1.mp4", "a4.mp4", "b1.mp4"}),
    ({"place": "湖滨南路"}, {"a1.mp4"}),
    ({"place": "湖"}, {"a3.wav"}),  # 湖里区 starts with 湖
    ({"place": "华兴"}, {"b2.jpg"}),
    ({"place": "城东区"}, {"a1.mp4", "a6.mp4", "b1.mp4"}),
    ({"case_number": "〔2026〕123号"}, {"a1.mp4"}),
    ({"case_number": "桐市监"}, {"a1.mp4", "a3.wav"}),
    ({"case_number": "监罚"}, {"a1.mp4", "b1.mp4"}),
    ({"case_number": "7号"}, {"a3.wav"}),
    ({"case_number": "桐"}, {"a1.mp4", "a3.wav", "b1.mp4"}),
    # q: party, place, case number, people, file-name prefix, camera serial, SHA-256
    ({"q": "湖滨"}, {"a1.mp4", "a4.mp4", "b1.mp4"}),
    ({"q": "华兴"}, {"a1.mp4", "b2.jpg"}),
    ({"q": "123号"}, {"a1.mp4"}),
    ({"q": "张"}, {"a2.jpg", "a3.wav", "d1.mp4", "a1.mp4", "a5.mp4", "a6.mp4"}),  # + 张伟's
    ({"q": "杨军"}, {"b1.mp4", "b2.jpg"}),
    ({"q": "35020019006"}, {"b1.mp4", "b2.jpg"}),  # 杨军's 执法证号
    ({"q": "A3.W"}, {"a3.wav"}),  # file name, from its start
    ({"q": "3501001"}, {"d1.mp4"}),  # a registered camera
    # people, devices
    ({"officer_q": "王芳"}, {"a4.mp4"}),
    ({"officer_q": "王"}, {"a4.mp4"}),  # name starting with 王
    ({"officer_q": "350221"}, {"b1.mp4", "b2.jpg"}),  # 执法记录编号
    ({"officer_q": "35020019001"}, SQUAD1 - {"a4.mp4"}),  # 执法证号
    ({"officer_q": "359999"}, {"u1.mp4"}),  # the number read from an unbound file's name
    ({"device": "3501001"}, {"d1.mp4"}),
    ({"device": "3509999"}, {"u1.mp4"}),  # an unregistered camera
    # unit, dates (Beijing calendar days), kind, status, combinations
    ({"unit": "squad2"}, {"b1.mp4", "b2.jpg", "u1.mp4"}),
    ({"unit": "bureau"}, ALL),
    ({"date_from": "2026-11-20", "date_to": "2026-11-20"}, {"a1.mp4"}),
    ({"date_from": "2026-11-21"}, {"b1.mp4"}),  # 07:30 Beijing, the 20th in UTC
    ({"date_to": "2025-12-31"}, {"a3.wav"}),  # 23:30 Beijing, still the 31st
    ({"date_from": "2026-11-01", "date_to": "2026-11-01"}, {"a4.mp4"}),  # 00:30 Beijing
    ({"media_kind": "photo"}, {"a2.jpg", "b2.jpg"}),
    ({"status": "failed"}, {"a5.mp4"}),
    ({"needs_assignment": "1"}, {"u1.mp4"}),
    ({"q": "湖滨", "unit": "squad1"}, {"a1.mp4", "a4.mp4"}),
    ({"party": "张", "media_kind": "audio"}, {"a3.wav"}),
]


def _params(org, query: dict) -> dict:
    units = {"squad1": org.squad1, "squad2": org.squad2, "bureau": org.bureau}
    return {k: units[v].pk if k == "unit" else v for k, v in query.items()}


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=lambda v: str(v))
def test_it_finds_exactly_the_matching_recordings_on_the_list_page(org, rows, query, expected):
    assert listed(org.bureau_admin, **_params(org, query)) == expected


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=lambda v: str(v))
def test_it_finds_exactly_the_matching_recordings_through_the_api(org, rows, query, expected):
    assert api_listed(org.bureau_admin, **_params(org, query)) == expected


def test_it_finds_a_party_after_its_case_information_changes(org, rows):
    Recording.objects.filter(original_name="d1.mp4").update(party="桐城市恒达建材有限公司")
    assert listed(org.bureau_admin, party="恒达") == {"d1.mp4"}
    assert listed(org.bureau_admin, q="达建材") == {"d1.mp4"}


def test_it_shows_case_information_in_the_results(org, rows):
    body = client_for(org.bureau_admin).get("/recordings/", {"party": "华兴贸"}).content.decode()
    assert "桐市监罚〔2026〕123号" in body and "城东区东湖街道湖滨南路8号" in body


def test_it_returns_case_information_from_the_api(org, rows):
    body = client_for(org.admin).get("/api/v1/recordings", {"case_number": "123号"}).json()
    [row] = body["results"]
    assert (row["case_number"], row["party"]) == ("桐市监罚〔2026〕123号", "桐城市华兴贸易有限公司")


# --- scope ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("officer", {"a1.mp4"}),  # 张伟: his own only
        ("other_officer", {"b1.mp4"}),
        ("admin", {"a1.mp4", "a4.mp4"}),  # 一中队
        ("other_admin", {"b1.mp4"}),  # 二中队
        ("leader", {"a1.mp4", "a4.mp4", "b1.mp4"}),
    ],
)
def test_it_never_finds_anything_outside_the_users_scope(org, rows, who, expected):
    assert listed(getattr(org, who), place="湖滨") == expected
    assert api_listed(getattr(org, who), place="湖滨") == expected


def test_it_finds_nothing_when_filtering_on_a_unit_outside_the_scope(org, rows):
    assert listed(org.admin, unit=org.squad2.pk) == set()
    assert listed(org.officer, unit=org.bureau.pk) == {
        n for n in SQUAD1 if Recording.objects.get(original_name=n).officer == org.officer
    }


# --- counts and facets ----------------------------------------------------------------------


def facets(body: str) -> dict[str, dict[str, tuple[int, str]]]:
    """facet name → label → (count, link)."""
    out: dict[str, dict[str, tuple[int, str]]] = {}
    for name, block in re.findall(r'data-facet="(\w+)">(.*?)</div>', body, re.S):
        for link, label, count in re.findall(
            r'<a href="\?([^"]*)"[^>]*>([^<]+?) <span class="count">约?(\d+)</span>', block
        ):
            out.setdefault(name, {})[label] = (int(count), html.unescape(link))
    return out


def test_it_counts_each_facet_value_of_the_current_search(org, rows):
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    got = {
        name: {label: n for label, (n, _) in values.items()}
        for name, values in facets(body).items()
    }
    assert got["media_kind"] == {"视频": 7, "照片": 2, "音频": 1}
    assert got["status"] == {"可播放": 8, "处理中": 1, "处理失败": 1}
    assert got["unit"] == {"执法一中队": 7, "执法二中队": 3}
    assert got["month"] == {
        "2026年11月": 6,
        "2026年10月": 1,
        "2026年9月": 1,
        "2026年8月": 1,
        "2025年12月": 1,
    }
    assert "共 10 条" in body


def test_it_counts_facets_of_a_filtered_search_only(org, rows):
    body = client_for(org.bureau_admin).get("/recordings/", {"place": "湖滨"}).content.decode()
    assert {k: v[0] for k, v in facets(body)["unit"].items()} == {"执法一中队": 2, "执法二中队": 1}


@pytest.mark.parametrize(
    ("facet", "label", "expected"),
    [
        ("media_kind", "照片", {"a2.jpg", "b2.jpg"}),
        ("status", "处理中", {"a3.wav"}),
        ("unit", "执法二中队", {"b1.mp4", "b2.jpg", "u1.mp4"}),
        ("month", "2026年10月", {"a2.jpg"}),
        ("month", "2025年12月", {"a3.wav"}),  # the 31st, 23:30 Beijing: still December
    ],
)
def test_it_narrows_the_list_to_a_clicked_facet_value(org, rows, facet, label, expected):
    client = client_for(org.bureau_admin)
    _, link = facets(client.get("/recordings/").content.decode())[facet][label]
    body = client.get("/recordings/?" + link).content.decode()
    assert names(body) == expected
    assert f"共 {len(expected)} 条" in body


def test_it_keeps_the_other_filters_when_a_facet_is_clicked(org, rows):
    client = client_for(org.bureau_admin)
    body = client.get("/recordings/", {"place": "湖滨", "page": "1"}).content.decode()
    _, link = facets(body)["unit"]["执法一中队"]
    assert "page=" not in link
    assert names(client.get("/recordings/?" + link).content.decode()) == {"a1.mp4", "a4.mp4"}


def test_it_widens_back_when_a_chosen_facet_value_is_clicked_again(org, rows):
    client = client_for(org.bureau_admin)
    body = client.get("/recordings/", {"media_kind": "photo"}).content.decode()
    _, link = facets(body)["media_kind"]["照片"]
    assert names(client.get("/recordings/?" + link).content.decode()) == ALL


def test_it_never_widens_the_scope_through_facets(org, rows):
    client = client_for(org.officer)  # 张伟 sees his own recordings only
    body = client.get("/recordings/").content.decode()
    own = {n for n in ALL if Recording.objects.get(original_name=n).officer == org.officer}
    assert names(body) == own
    got = facets(body)
    assert set(got["unit"]) == {"执法一中队"}
    assert sum(n for n, _ in got["media_kind"].values()) == len(own)
    # A hand-made link to another unit, or to his squad's other rows, shows nothing new.
    assert listed(org.officer, unit=org.squad2.pk) == set()
    assert listed(org.officer, unit=org.squad1.pk) == own


def test_it_caps_the_count_and_says_more_than(org, rows, settings, monkeypatch):
    settings.AVRECORDS_SEARCH_COUNT_CAP = 4
    settings.AVRECORDS_PAGE_SIZE = 3
    monkeypatch.setattr(listing, "MIN_SAMPLE_HITS", 1)
    client = client_for(org.bureau_admin)
    body = client.get("/recordings/").content.decode()
    assert "超过 4 条" in body and "第 1 页" in body
    units = {k: v[0] for k, v in facets(body)["unit"].items()}
    if connection.vendor == "postgresql":
        # Estimated from a block sample; a table this small is sampled whole.
        assert "估计约 10 条" in body and "抽样估计" in body
        assert units == {"执法一中队": 7, "执法二中队": 3}
    else:
        # The newest four: b1 (11-21), a1 (11-20), b2 (11-19), u1 (11-18).
        assert "最新的 4 条" in body
        assert units == {"执法二中队": 3, "执法一中队": 1}
    # Past the cap, pages go on while there are rows: 3 + 3 + 3 + 1.
    second = client.get("/recordings/", {"page": "2"}).content.decode()
    assert names(second) == {"u1.mp4", "d1.mp4", "a4.mp4"} and "下一页" in second
    last = client.get("/recordings/", {"page": "4"}).content.decode()
    assert names(last) == {"a3.wav"} and "下一页" not in last
    api = client.get("/api/v1/recordings").json()
    assert (api["count"], api["count_capped"]) == (4, True)
    second = client.get("/api/v1/recordings", {"page": 2}).json()["results"]
    assert [r["original_name"] for r in second] == ["u1.mp4"]


def test_it_says_when_the_facets_count_only_some_of_the_rows(org, rows, settings, monkeypatch):
    settings.AVRECORDS_SEARCH_COUNT_CAP = 4
    monkeypatch.setattr(listing, "MIN_SAMPLE_HITS", 1000)  # a sample too thin to estimate
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    if connection.vendor == "postgresql":
        assert "只统计了其中的 4 余条" in body and "估计" not in body
        assert sum(n for n, _ in facets(body)["media_kind"].values()) == 5
    else:
        assert "最新的 4 条" in body


def test_it_counts_exactly_at_the_cap(org, rows, settings):
    settings.AVRECORDS_SEARCH_COUNT_CAP = 10
    body = client_for(org.bureau_admin).get("/recordings/").content.decode()
    assert "共 10 条" in body and "超过" not in body


# --- PostgreSQL: the text conditions are index conditions -----------------------------------

TEXT_SEARCHES = [
    {"party": "华兴贸"},
    {"place": "湖滨"},
    {"case_number": "桐"},
    {"q": "兴华"},
    {"q": "张"},
    {"q": "湖滨南路"},
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL only")
@pytest.mark.parametrize("query", TEXT_SEARCHES, ids=str)
def test_it_answers_text_searches_from_the_trigram_index(org, rows, query):
    from avrecords.recordings.search import RecordingFilter, search_recordings

    qs = search_recordings(org.sysadmin, RecordingFilter(**query)).order_by()  # no scope
    with connection.cursor() as cursor:
        # Ten rows: leave the planner only index conditions to scan by.
        for plan_kind in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{plan_kind} = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "recording_search_trgm" in plan, plan


def test_it_stores_case_information_in_the_search_column_on_postgresql(org, rows):
    row = Recording.objects.get(original_name="a1.mp4")
    if connection.vendor == "postgresql":
        assert "华ǂ兴ǂ贸" in row.search_text and "\x1e桐城市华兴贸易有限公司\x1e" in row.search_text
    else:
        assert row.search_text == ""


def test_it_lists_the_units_a_user_may_choose(org):
    body = client_for(org.admin).get("/recordings/").content.decode()
    assert "执法一中队" in body and "执法二中队" not in body
