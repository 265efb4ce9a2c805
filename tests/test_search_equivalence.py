"""M4, issue 22 §3: the indexed text search (FTS5 on SQLite, pg_trgm on PostgreSQL) finds
exactly what the documented rules find, for every text filter, on a seeded bureau.

The reference is the rules of recordings/search.py written in plain Python over the rows: a
normalised term of two or more characters anywhere in party, place or case number, one
character at a field's start; `q` also people (姓名 likewise, 执法证号 / 执法记录编号 equal),
file names from their start (3+ characters), a camera's serial and a SHA-256 prefix (hex,
6+). Terms are drawn from the rows themselves (1, 2, 3 and more characters, case numbers
with 〔〕, names, serials, SHA prefixes) plus hand-made awkward ones (full-width letters,
upper case, `%`, `_`, quotes, spaces). The data holds no cased letters outside ASCII, where
SQLite's LIKE and PostgreSQL's lower() have always differed.
"""

from __future__ import annotations

import random

import pytest
from django.db import transaction
from django.db.models import Count

from avrecords.demo import seed
from avrecords.equipment.models import Device
from avrecords.org.models import User
from avrecords.org.scope import recording_q
from avrecords.recordings import listing, search
from avrecords.recordings.models import Recording
from avrecords.recordings.search import (
    FILE_NAME_MIN_CHARS,
    SHA_PREFIX_MIN_CHARS,
    TEXT_FIELDS,
    RecordingFilter,
    scoped_recordings,
    search_recordings,
)
from avrecords.recordings.textsearch import normalise
from tests.rows import make

pytestmark = pytest.mark.database_specific

SEEDED_ROWS = 1500
AWKWARD = [  # (party, place, case number, file name)
    ("ＡＢＣ Trading（桐城）有限公司", "高新区软件园二期", "", "ABC_1.MP4"),
    ("50%折扣店", "城东区凤凰街道", "桐市监罚〔2026〕50号", "a_b%c.mp4"),
    ('"引号"商行', "湖滨路 8 号", "桐市监检〔2025〕7号", 'say"hi.wav'),
    ("张", "湖", "桐", "张.jpg"),
    ("李张明", "江北区湖滨路99号", "〔2024〕1号", "ＴＣ00001_1.mp4"),
    ("x_y", "a b", "A-1", "abc"),
]
HAND_TERMS = [
    "ａｂｃ",
    "ABC",
    "abc t",
    "trading（桐城",
    "50%",
    "%",
    "_",
    "x_y",
    '"',
    '"引号',
    "湖滨路 8",
    "a b",
    "a-1",
    "〔2026〕",
    "〕5",
    "桐市监",
    "不存在的词",
    "1",
    "a",
    "张",
    "湖",
    "桐",
]


@pytest.fixture(scope="module")
def bureau(django_db_setup, django_db_blocker):
    """A seeded bureau plus the awkward rows, made once for the module inside a transaction
    rolled back at its end (each test's own is a savepoint inside it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed.seed(SEEDED_ROWS, seed=22)
            officer = User.objects.filter(username="seed_o0001").get()
            for i, (party, place, case, name) in enumerate(AWKWARD):
                make(
                    None,
                    name,
                    officer=officer,
                    party=party,
                    place=place,
                    case_number=case,
                    sha256=f"{i:02x}" * 32,
                )
            yield User.objects.get(username="seed_leader")
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def leader(bureau, db):
    return bureau


# --- the reference: today's rules over the rows, in Python --------------------------------


def _field_matches(value: str, term: str) -> bool:
    value = value.lower()
    return value.startswith(term) if len(term) == 1 else term in value


class Rows:
    """What the reference reads, once per check: the user's rows, people and cameras."""

    def __init__(self, user):
        self.rows = list(
            scoped_recordings(user).values_list(
                "pk",
                "party",
                "place",
                "case_number",
                "original_name",
                "officer_id",
                "device_id",
                "sha256",
            )
        )
        self.people = [
            (pk, name or "", (badge or "").lower(), (number or "").lower())
            for pk, name, badge, number in User.objects.values_list(
                "pk", "full_name", "badge_no", "officer_no"
            )
        ]
        self.cameras = list(Device.objects.values_list("pk", "serial"))


def _reference(world: Rows, field: str, raw: str) -> set[int]:
    term = normalise(raw)
    if not term:
        return {r[0] for r in world.rows}
    if field != "q":
        column = 1 + TEXT_FIELDS.index(field)
        return {r[0] for r in world.rows if _field_matches(r[column], term)}
    people = {
        pk
        for pk, name, badge, number in world.people
        if _field_matches(name, term) or term in (badge, number)
    }
    long = len(term) >= FILE_NAME_MIN_CHARS
    cameras = {pk for pk, serial in world.cameras if serial.lower() == term}
    sha = SHA_PREFIX_MIN_CHARS <= len(term) <= 64 and all(c in "0123456789abcdef" for c in term)
    found = set()
    for pk, party, place, case, name, officer, device, sha256 in world.rows:
        if (
            any(_field_matches(v, term) for v in (party, place, case))
            or officer in people
            or (long and (name.lower().startswith(term) or device in cameras))
            or (sha and sha256.startswith(term))
        ):
            found.add(pk)
    return found


def _terms(seed_value: int) -> list[tuple[str, str]]:
    """(filter, term) pairs drawn from the rows, names, serials and hashes."""
    rng = random.Random(seed_value)
    rows = list(
        Recording.objects.values_list("party", "place", "case_number", "original_name", "sha256")
    )
    picked = rng.sample(rows, 40)
    out = []
    for party, place, case, name, sha in picked:
        for field, value in (("party", party), ("place", place), ("case_number", case)):
            if not value:
                continue
            for size in (1, 2, 3, 5):
                start = rng.randrange(0, max(1, len(value) - size + 1))
                term = value[start : start + size]
                out += [(field, term), ("q", term)]
        if "〔" in case:
            out.append(("case_number", case[case.index("〔") :]))
        out += [
            ("q", name[: rng.randint(3, 12)]),
            ("q", name[:2]),
            ("q", sha[: rng.randint(6, 12)]),
        ]
    names = list(
        User.objects.exclude(full_name="").values_list("full_name", "badge_no", "officer_no")
    )
    for full_name, badge, number in rng.sample(names, 10):
        full_name = full_name or ""
        out += [("q", full_name), ("q", full_name[:1]), ("q", full_name[1:])]
        if badge:
            out += [("q", badge), ("q", number)]
    out += [("q", s) for s in Device.objects.values_list("serial", flat=True)[:3]]
    for term in HAND_TERMS:
        out += [(field, term) for field in (*TEXT_FIELDS, "q")]
    return out


def _check(user, pairs):
    world, wrong = Rows(user), []
    for field, term in pairs:
        flt = RecordingFilter(**{field: term})
        found = set(search_recordings(user, flt).values_list("pk", flat=True))
        expected = _reference(world, field, term)
        if found != expected:
            wrong.append((field, term, len(found), len(expected)))
    assert not wrong, wrong


def test_it_finds_what_the_rules_find_for_every_text_filter(leader):
    pairs = _terms(1)
    assert len(pairs) > 400
    _check(leader, pairs)


def test_it_finds_what_the_rules_find_in_a_branch_scope(leader):
    admin = User.objects.filter(username__startswith="seed_admin", unit__parent__isnull=False)
    _check(admin.order_by("pk").first(), _terms(2)[:150])


def test_it_finds_the_same_when_common_terms_walk_the_rows_instead(leader, monkeypatch):
    """SQLite matches a term in more than DENSE_MATCHES rows with LIKE instead of FTS5."""
    monkeypatch.setattr(search, "DENSE_MATCHES", 25)
    _check(leader, _terms(5)[:200])


def test_the_list_counts_and_pages_what_the_rules_find(leader):
    """The list's total and first page (newest first) are those of the reference."""
    world = Rows(leader)
    for field, term in _terms(3)[::7]:
        expected = _reference(world, field, term)
        page = listing.search_page(
            search_recordings(leader, RecordingFilter(**{field: term})), 1, size=50, cap=2000
        )
        newest = list(
            Recording.objects.filter(pk__in=expected)
            .order_by("-started_at", "-id")
            .values_list("pk", flat=True)[:50]
        )
        assert (page.summary.total, [r.pk for r in page.rows]) == (len(expected), newest), term


def test_a_list_past_the_cap_still_pages_the_newest_matches(leader):
    """Past the cap (here 5) the total is a floor or an estimate, but the page is exact: the
    newest matches first, whichever way the planner's estimate (PostgreSQL) chose to read."""
    world, checked = Rows(leader), 0
    for field, term in _terms(6)[::3]:
        expected = _reference(world, field, term)
        if len(expected) <= 5:
            continue
        qs = search_recordings(leader, RecordingFilter(**{field: term}))
        page = listing.search_page(qs, 1, size=20, cap=5)
        newest = list(
            Recording.objects.filter(pk__in=expected)
            .order_by("-started_at", "-id")
            .values_list("pk", flat=True)[:20]
        )
        assert page.summary.capped and page.summary.total > 5, term
        assert [r.pk for r in page.rows] == newest, term
        checked += 1
    assert checked > 20


def test_it_follows_edits_and_deletions(leader):
    """The index follows every write: updated fields, a changed file name, deleted rows."""
    rows = list(Recording.objects.order_by("pk")[:30])
    for i, row in enumerate(rows[:10]):
        Recording.objects.filter(pk=row.pk).update(
            party=f"湘江改名{i}号商行", place="", case_number=f"湘改〔2027〕{i}号"
        )
    Recording.objects.filter(pk=rows[10].pk).update(original_name="RENAMED_x.mp4")
    Recording.objects.filter(pk__in=[r.pk for r in rows[20:30]]).delete()
    pairs = [
        (f, t)
        for t in ("湘江", "湘", "改名3", "〔2027〕", "renamed", "re")
        for f in (*TEXT_FIELDS, "q")
    ]
    pairs += [(f, rows[25].party[:2]) for f in ("party", "q")] + _terms(4)[:80]
    _check(leader, pairs)
    assert (
        not search_recordings(leader, RecordingFilter(q="湘江改名"))
        .filter(pk__in=[r.pk for r in rows[20:30]])
        .exists()
    )


def _own_list(officer) -> tuple[set[int], int, list[int]]:
    qs = search_recordings(officer, RecordingFilter())
    page = listing.search_page(qs, 1, size=50, cap=2000)
    return set(qs.values_list("pk", flat=True)), page.summary.total, [r.pk for r in page.rows]


def _own_reference(officer) -> tuple[set[int], int, list[int]]:
    rows = Recording.objects.filter(recording_q(officer, resolve_units=True))
    newest = list(rows.order_by("-started_at", "-id").values_list("pk", flat=True)[:50])
    return set(rows.values_list("pk", flat=True)), rows.count(), newest


def test_an_officers_own_list_is_his_scope_with_or_without_handed_over_rows(leader):
    """An officer's list (no filter) reads `officer_id = his` while he has no handed-over rows
    and no uploads waiting; with either it is recording_q's whole own scope again."""
    busiest = (
        Recording.objects.filter(officer__username__startswith="seed_o", keeper=None)
        .values_list("officer", flat=True)
        .annotate(n=Count("pk"))
        .order_by("-n")[:2]
    )
    officer, other = (User.objects.get(pk=pk) for pk in busiest)
    mine = _own_reference(officer)
    assert mine[1] > 0 and mine[0] == {
        pk for pk in mine[0] if Recording.objects.get(pk=pk).officer_id == officer.pk
    }
    assert _own_list(officer) == mine
    handed = Recording.objects.filter(officer=other).order_by("-started_at").first()
    Recording.objects.filter(pk=handed.pk).update(keeper=officer, secrecy="state_secret")
    waiting = make(None, "PENDING_OWN.MP4", officer="", unit=officer.unit, uploaded_by=officer)
    with_them = _own_reference(officer)
    assert {handed.pk, waiting.pk} <= with_them[0]
    assert _own_list(officer) == with_them
