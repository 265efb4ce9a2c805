"""M9 and X2 on every path that lists or counts recordings (issue 23, part 1): a recording
marked 个人隐私 is left out of every list, search, facet, total, export and count shown to a
person not cleared for it, and it is there for the cleared person and for its owner.

The world is the permission matrix's with its confidential recordings
(tests/test_confidential_everywhere.py's `secret_world`): 王芳's recording at 张伟's seizure,
marked 个人隐私, here also given a party, a place and a case number and ingested today; and a
second marked file of squad 1's, bound to nobody (待指派). Each check reads what a person
notices twice: as it is, and with the marks taken off (rolled back at once). What the marks
hide is then exactly the difference, so no expected total is written down here and a check
cannot pass by showing nothing: the unmarked reading must name the recording for everyone
whose scope holds it, and the marked one must still name it for those who may see it.

Database-specific: text search is FTS5 on SQLite and the trigram index on PostgreSQL, and
past the count cap PostgreSQL estimates from a block sample (listing.py), forced here by a
cap of one.
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.utils import timezone

from avrecords.access.secrecy import apply_mark
from avrecords.recordings import listing
from avrecords.recordings.models import Recording
from avrecords.recordings.textsearch import tidy
from tests.rows import make
from tests.test_confidential_everywhere import (  # noqa: F401 (the world's fixtures)
    CLEARED,
    SECRET_ID,
    SECRET_NAME,
    isolated_store,
    secret_world,
)

pytestmark = pytest.mark.database_specific

PARTY, PLACE, CASE_NUMBER = "苏晓梅", "鹭江道88号", "厦市监案〔2026〕731号"
PENDING_ID = 7_310_451  # squad 1's marked file waiting for an administrator (待指派)
PENDING_NAME = "3501001_000000_20261001080000_0043.MP4"
# Who may see each secret: the cleared 郑华 always, 王芳 her own recording.
SECRETS = {SECRET_ID: (SECRET_NAME, {CLEARED, "officer2"}), PENDING_ID: (PENDING_NAME, {CLEARED})}
# Every stock role: an officer twice (the owner, and 张伟, whose own scope holds neither
# secret), the unit administrator twice (cleared at the bureau, not in the squad), the roles
# whose unit scope holds both, and squad 2's unit head, whose scope holds neither.
PEOPLE = [
    "officer",
    "officer2",
    "admin",
    CLEARED,
    "head1",
    "supervisor",
    "leader",
    "archivist",
    "sysadmin",
    "superuser",
    "head2",
]
OUT_OF_SCOPE = {"officer", "head2"}  # neither secret is theirs to see


@pytest.fixture(scope="module")
def marked_world(secret_world, django_db_blocker):  # noqa: F811
    """The secret made findable by every text filter and counted today, and a second marked
    file, bound to nobody, for the 待指派 counts (inside the world's module transaction)."""
    with django_db_blocker.unblock():
        Recording.objects.filter(pk=SECRET_ID).update(
            party=tidy(PARTY),
            place=tidy(PLACE),
            case_number=tidy(CASE_NUMBER),
            ingested_at=timezone.now(),
        )
        squad1 = secret_world.users["admin"].unit
        pending = make(
            None,
            PENDING_NAME,
            pk=PENDING_ID,
            officer=False,
            unit=squad1,
            needs_assignment=True,
            at=(2026, 10, 1, 8, 0),
        )
        apply_mark(pending, "privacy")
    return secret_world


@pytest.fixture
def world(marked_world, db):
    return marked_world


def _searches(world) -> list[str]:
    """Every list filter that matches the secret (M4), and the list with none: its unit, its
    officer by id, name and 执法证号, its camera, its day, each text field, and the free text
    by one, two and three characters of its party, a SHA-256 prefix and its file name's."""
    secret = Recording.objects.get(pk=SECRET_ID)
    wangfang = world.users["officer2"]
    sha = {"q": secret.sha256[:8]}
    filters = [
        {},
        {"unit": secret.unit_id},
        {"officer": wangfang.pk},
        {"officer_q": wangfang.full_name},
        {"officer_q": wangfang.badge_no},
        {"device": "3501001"},
        {"date_from": "2026-09-30", "date_to": "2026-09-30"},
        {"party": PARTY},
        {"place": PLACE[:3]},
        {"case_number": "731"},
        *[sha if f["q"] == "sha" else f for f in API_SEARCHES],
        {"q": PARTY[:2]},
        {"q": PARTY},
    ]
    return [urlencode(f) for f in filters]


# The API shares the page's filter (recordings/filters.py): the free-text paths, which differ
# by engine and term length, are asked of it again.
API_SEARCHES = [{"q": PARTY[:1]}, {"q": SECRET_NAME[:14]}, {"q": "sha"}]


def _api_searches(world) -> list[str]:
    sha = Recording.objects.get(pk=SECRET_ID).sha256[:8]
    return [urlencode({"q": sha if f["q"] == "sha" else f["q"]}) for f in API_SEARCHES]


# --- reading what a person notices ----------------------------------------------------------


def both_ways(fetch, secrets=tuple(SECRETS)):
    """`fetch()` as things are, and with the secrets' marks taken off (then put back)."""
    marked = fetch()
    with transaction.atomic():
        Recording.objects.filter(pk__in=secrets).update(secrecy="", secrecy_mark="")
        unmarked = fetch()
        transaction.set_rollback(True)
    return marked, unmarked


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return body.decode()


_FACET = re.compile(r'data-facet="(\w+)"(.*?)</div>', re.S)
_FACET_COUNT = re.compile(r'<span class="count">约?(\d+)</span>')


def _list_figures(page: str) -> dict[str, int]:
    """The list's total (共 N 条) and each facet's sum of counts."""
    figures = {
        f"facet {name}": sum(map(int, _FACET_COUNT.findall(body)))
        for name, body in _FACET.findall(page)
    }
    total = re.search(r"共 (\d+) 条", page)
    figures["total"] = int(total[1]) if total else 0
    return figures


def _hidden(who: str, unmarked: str) -> int:
    """How many secrets the marks must hide from `who`: those his scope holds (the unmarked
    reading names them) and he may not see."""
    return sum(name in unmarked and who not in seers for name, seers in SECRETS.values())


def _check_names(who: str, marked: str, unmarked: str, where: str) -> None:
    for name, seers in SECRETS.values():
        if name in unmarked:
            assert (name in marked) is (who in seers), f"{who}, {where}: {name}"
        else:
            assert name not in marked, f"{who}, {where}: {name} (outside his scope)"


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_every_recordings_search_leaves_the_secret_out_of_rows_totals_and_facets(world, who):
    """/recordings/ with each filter (M4): the file name is listed, and counted in the total
    and every facet (类型, 状态, 单位, 月份), only for those cleared for it or owning it."""
    client = world.client(who)
    for query in _searches(world):

        def page(query=query):
            return _text(client.get(f"/recordings/?{query}"))

        marked, unmarked = both_ways(page)
        if who not in OUT_OF_SCOPE:
            assert SECRET_NAME in unmarked, f"{who}: ?{query} does not find the recording at all"
        _check_names(who, marked, unmarked, f"/recordings/?{query}")
        hidden = _hidden(who, unmarked)
        expected = {key: n - hidden for key, n in _list_figures(unmarked).items()}
        expected = {key: n for key, n in expected.items() if n or key == "total"}
        assert _list_figures(marked) == expected, f"{who}: ?{query}"


@pytest.mark.parametrize("who", PEOPLE)
def test_the_api_search_neither_lists_nor_counts_the_secret(world, who):
    """/api/v1/recordings with the same filters: `count` and `results` as on the page."""
    client = world.client(who)
    for query in _api_searches(world):

        def answer(query=query):
            return client.get(f"/api/v1/recordings?{query}").json()

        marked, unmarked = both_ways(answer)
        names = [[r["original_name"] for r in a["results"]] for a in (marked, unmarked)]
        _check_names(who, "\n".join(names[0]), "\n".join(names[1]), f"api ?{query}")
        hidden = _hidden(who, "\n".join(names[1]))
        assert marked["count"] == unmarked["count"] - hidden, f"{who}: api ?{query}"


@pytest.mark.parametrize("who", PEOPLE)
def test_the_secret_opens_only_for_the_cleared_and_the_owner(world, who):
    """The recording's page and its API answer: 200 for them, 404 for everyone else (X2)."""
    client = world.client(who)
    shown = who in SECRETS[SECRET_ID][1]
    page = client.get(f"/recordings/{SECRET_ID}/")
    api = client.get(f"/api/v1/recordings/{SECRET_ID}")
    assert (page.status_code, api.status_code) == ((200, 200) if shown else (404, 404))


@pytest.mark.parametrize("who", PEOPLE)
def test_the_top_search_and_the_recording_picker_find_the_secret_only_for_those_who_may_see_it(
    world, who
):
    """The top bar's search and the search-as-you-type picker (issue 17) read the same list."""
    client = world.client(who)
    for path in (f"/search/?q={PARTY}", f"/pick/recordings/?q={PARTY[:2]}"):
        marked, unmarked = both_ways(lambda path=path: _text(client.get(path)))
        if who not in OUT_OF_SCOPE:
            assert SECRET_NAME in unmarked, f"{who}: {path}"
        _check_names(who, marked, unmarked, path)


@pytest.mark.parametrize("who", ["head1", "leader", CLEARED, "officer2"])
def test_past_the_count_cap_the_estimate_and_its_facets_leave_the_secret_out(
    world, who, settings, monkeypatch
):
    """Past AVRECORDS_SEARCH_COUNT_CAP the page estimates (PostgreSQL: a block sample, the
    whole table at this size, so the figures stay exact) or counts the newest rows (SQLite):
    the secret is neither listed nor sampled into the figures. (Once the marks hide the
    secrets, a search may fall back under the cap: its figures are then exact, and compared
    the same way.)"""
    settings.AVRECORDS_SEARCH_COUNT_CAP = 1
    monkeypatch.setattr(listing, "MIN_SAMPLE_HITS", 1)
    client = world.client(who)
    for query in ("", "q=3501001"):

        def page(query=query):
            return _text(client.get(f"/recordings/?{query}"))

        marked, unmarked = both_ways(page)
        assert SECRET_NAME in unmarked
        _check_names(who, marked, unmarked, f"capped ?{query}")
        if connection.vendor == "postgresql":
            if who != "officer2":  # her own scope holds one recording: never past the cap
                assert "估计约" in unmarked, f"{who}: ?{query}: the estimate was not made"
            hidden = _hidden(who, unmarked)
            facets = {k: n - hidden for k, n in _list_figures(unmarked).items() if k != "total"}
            marked_facets = {k: n for k, n in _list_figures(marked).items() if k != "total"}
            assert marked_facets == {k: n for k, n in facets.items() if n}, f"{who}: ?{query}"


def _today_ingested(page: str) -> int | None:
    """工作台's 今日入库音像记录, if the page shows it."""
    found = re.search(r"<strong[^>]*>(\d+)</strong><span>今日入库音像记录</span>", page)
    return int(found[1]) if found else None


_COUNT = re.compile(
    r'<span id="(count-[\w-]+)" class="menu-count"[^>]*>(?: <span class="count-badge">(\d+)</span>)?</span>'
)


def _menu_counts(client) -> dict[str, int]:
    """Each count /menu/counts fills in on a page (web/menu.py), 0 where it shows none."""
    answer = client.get("/menu/counts").content.decode()
    return {m[1]: int(m[2] or 0) for m in _COUNT.finditer(answer)}


TODO_SLOTS = {"count-top-todo", "count-worklist-count"}  # the top bar's and the menu's 待办


@pytest.mark.parametrize("who", PEOPLE)
def test_the_workbench_counts_todays_secrets_only_for_those_who_may_see_them(world, who):
    """工作台's 今日入库音像记录: both secrets came in today; each is counted only for those
    who may see it (the list, unmarked, tells whose scope holds it)."""
    client = world.client(who)

    def figures():
        return _text(client.get("/recordings/")), _today_ingested(_text(client.get("/")))

    (_, today), (listed, today_unmarked) = both_ways(figures)
    assert today == (None if today_unmarked is None else today_unmarked - _hidden(who, listed))
    if who in ("admin", "leader", CLEARED):
        assert today_unmarked is not None and SECRET_NAME in listed


@pytest.mark.parametrize("who", PEOPLE)
def test_the_menu_and_the_todo_list_count_the_secret_file_to_bind_only_for_the_cleared(world, who):
    """待办 (the menu's count, the top bar's and the list): squad 1's marked file waiting to be
    bound is an administrator's task only if he is cleared for it (only its mark is taken off
    here, so nothing else that counts changes)."""
    client = world.client(who)

    def figures():
        return _menu_counts(client), _todo(client)

    (counts, todo), (counts_unmarked, todo_unmarked) = both_ways(figures, secrets=[PENDING_ID])
    _check_names(who, todo, todo_unmarked, "/todo/")
    hidden = int(PENDING_NAME in todo_unmarked and who != CLEARED)
    assert counts == {
        slot: n - hidden if slot in TODO_SLOTS else n for slot, n in counts_unmarked.items()
    }, who
    if who in ("admin", CLEARED):  # the two administrators who may bind squad 1's files
        assert PENDING_NAME in todo_unmarked and counts_unmarked["count-top-todo"] > 0


def _todo(client) -> str:
    return _text(client.get("/todo/"))


# Who reads the view register and whose scope holds 郑华's viewing of the secret.
REGISTER_READERS_IN_SCOPE = ["leader", "archivist", "sysadmin", CLEARED, "admin", "head1"]


@pytest.mark.parametrize("who", REGISTER_READERS_IN_SCOPE)
def test_searching_the_view_register_by_the_file_name_finds_no_row_for_the_uncleared(world, who):
    """The 查阅登记簿 (U3) and its export, searched by the secret's file name: for a person not
    cleared for it there is no row at all, not even a 涉密事项 placeholder that confirms a file
    of that name exists (M9)."""
    client = world.client(who)
    query = urlencode({"q": SECRET_NAME})

    def readings():
        page = client.get(f"/registers/view/?{query}")
        if page.status_code != 200:
            return None
        export = _text(client.get(f"/registers/view/export?format=xlsx&{query}"))
        # What was searched for is said by the search box and the export links on the page,
        # and once in the export's heading (事由或事项含 …): none of them is a row.
        assert "事由或事项含" in export
        return re.sub(r'(value|href)="[^"]*"', "", _text(page)), export.replace(SECRET_NAME, "", 1)

    marked, unmarked = both_ways(readings)
    if unmarked is None:  # not a reader of this register: nothing to compare
        assert marked is None
        return
    page, export = marked
    rows = int(re.search(r"共 (\d+) 条", page)[1])
    rows_unmarked = int(re.search(r"共 (\d+) 条", unmarked[0])[1])
    in_scope = SECRET_NAME in unmarked[0]
    assert in_scope, f"{who} reads the register: the unmarked search must find the row"
    assert rows == rows_unmarked - int(in_scope and who != CLEARED), who
    for text, where in ((page, "page"), (export, "export")):
        assert (SECRET_NAME in text) is (in_scope and who == CLEARED), f"{who}: {where}"
        if who != CLEARED:
            assert "涉密事项" not in text, f"{who}: {where}"
