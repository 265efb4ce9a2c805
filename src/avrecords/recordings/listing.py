"""One page of a recordings search with its counts and facets, fast at ten million rows (M4).

Counting every match of a broad search (`COUNT(*)` over millions of rows) takes seconds, and
so does reading every match of a text search, whose condition needs the table itself. So:

1. **Exact up to a cap.** One query takes any `AVRECORDS_SEARCH_COUNT_CAP` + 1 matching rows
   (default 2,000), in whatever order the planner finds cheapest, and groups them by every
   facet at once: media kind, status, unit, month. Up to the cap, total and facets are exact.
2. **Estimated past it** (PostgreSQL). The same conditions run over a fixed block sample of
   the table (`TABLESAMPLE SYSTEM`, SAMPLE_PAGES pages, the same pages every time so figures
   do not flicker), scaled up: the page shows "超过 2000 条（估计约 N 条）" and the facets as
   约 N. Too few sampled matches to estimate from: the facets describe the cap + 1 rows of
   step 1, and the page says so. SQLite, which cannot sample, counts the facets of the newest
   cap matching rows.

The cost is thus bounded whatever the search matches: cap + 1 rows, one sample, one page.
Pages are read newest first up to PAGE_LIMIT_ROWS deep (ids first, through the narrow
indexes; then the page's rows with officer, device and unit). Facets only ever narrow: they
are computed from, and link back to, the same scoped search, so they never show or reach
anything outside it (X2).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from avrecords.org.models import Unit
from avrecords.recordings.models import MediaKind, Recording, RecordingStatus
from avrecords.recordings.textsearch import SQLITE_TEXT_TABLE

TOP_UNITS = 10
SAMPLE_PAGES = 1000  # ~8 MB of the table, ~12,000 rows at ten million
MIN_SAMPLE_HITS = 20  # fewer sampled matches than this estimate nothing worth showing
BROAD_FACTOR = 5  # PostgreSQL: a search expected to match 5 × cap rows is estimated at once
PAGE_LIMIT_ROWS = 10_000  # how deep a list can be paged (narrow the search to go further)


@dataclass
class FacetValue:
    """One clickable value: the filter parameters it sets, a label and how many rows have it."""

    params: dict[str, str]
    label: str
    count: int


@dataclass
class Summary:
    """How many rows match and how they divide up: exact up to the cap, else estimated."""

    total: int  # exact up to cap; past it the estimate, or cap + 1 if there is none
    capped: bool
    cap: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    estimated: bool = False  # past the cap: total and facets scaled up from a sample
    newest: bool = False  # past the cap, no estimate: facets of the newest `cap` rows
    # (neither: facets of the cap + 1 rows the count read, in no particular order)
    ordered_ids: list[int] | None = None  # up to the cap: every match, newest first
    # (past it, on SQLite: the newest cap + 1 matches)


@dataclass
class SearchPage:
    """A page of rows, with what a pager needs (the shape of Django's Page)."""

    rows: list[Recording]
    number: int
    size: int
    summary: Summary
    has_next: bool

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        """Known only up to the cap."""
        return max(1, math.ceil(self.summary.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def count_cap() -> int:
    return settings.AVRECORDS_SEARCH_COUNT_CAP


@contextmanager
def planned_for_lists():
    """PostgreSQL: no JIT for these queries. Their cost estimates at ten million rows pass
    jit_above_cost, and compiling then takes 50–150 ms, longer than the query itself."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def capped_count(qs: QuerySet[Recording], *, cap: int | None = None) -> tuple[int, bool]:
    """(matching rows, True if there are more than that) counting at most cap + 1 rows."""
    cap = count_cap() if cap is None else cap
    with planned_for_lists():
        n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def summarise(qs: QuerySet[Recording], *, cap: int | None = None) -> Summary:
    """Total and facet counts: exact up to `cap`, estimated (or partial) past it."""
    cap = count_cap() if cap is None else cap
    if _matches_nothing(qs):
        return Summary(0, False, cap, _facets({}), ordered_ids=[])
    if connection.vendor == "sqlite" and _reads_table(qs):
        # One pass, newest first: the count, the facets (of the newest cap rows past the
        # cap) and the page's ids, from the same cap + 1 rows.
        counts, total, ordered = _matches(qs.order_by("-started_at", "-id")[: cap + 1], cap)
        if total <= cap:
            return Summary(total, False, cap, _facets(counts), ordered_ids=ordered)
        return Summary(cap + 1, True, cap, _facets(counts), newest=True, ordered_ids=ordered)
    if connection.vendor == "postgresql" and _reads_table(qs) and _broad(qs, cap):
        sampled, hits, scale = _sampled(qs)
        if hits >= MIN_SAMPLE_HITS and hits * scale > BROAD_FACTOR * cap:
            return _estimated(sampled, hits, scale, cap)
    if _reads_table(qs):
        counts, total, ordered = _matches(qs.order_by()[: cap + 1])
    else:
        (counts, total), ordered = _grouped(qs.order_by()[: cap + 1]), None
    if total <= cap:
        return Summary(total, False, cap, _facets(counts), ordered_ids=ordered)
    if connection.vendor != "postgresql":
        newest, _ = _grouped(qs.order_by("-started_at")[:cap])
        return Summary(cap + 1, True, cap, _facets(newest), newest=True)
    if _planned_rows(qs) * _sample_share() < MIN_SAMPLE_HITS / 2:
        # The sample would hold too few matches to estimate from (an officer's own rows:
        # ~4,000 of ten million, ~5 in the sample): skip reading its 1,000 pages.
        return Summary(cap + 1, True, cap, _facets(counts))
    sampled, hits, scale = _sampled(qs)
    if hits >= MIN_SAMPLE_HITS:
        return _estimated(sampled, hits, scale, cap)
    return Summary(cap + 1, True, cap, _facets(counts))


def _estimated(sampled, hits: int, scale: float, cap: int) -> Summary:
    scaled = {f: {v: max(1, round(n * scale)) for v, n in b.items()} for f, b in sampled.items()}
    estimate = max(cap + 1, round(hits * scale))
    return Summary(estimate, True, cap, _facets(scaled), estimated=True)


def _broad(qs: QuerySet[Recording], cap: int) -> bool:
    """PostgreSQL: the planner expects far more matches than the cap. Then reading cap + 1 of
    them through the trigram index would read its whole posting lists first (a bitmap is
    built before any row is read), hundreds of milliseconds for a common term at ten
    million rows; the sample answers instead, if it agrees, and the page walks started_at."""
    return _planned_rows(qs) > BROAD_FACTOR * cap


def _planned_rows(qs: QuerySet[Recording]) -> float:
    """PostgreSQL: how many rows the planner expects the search to match."""
    sql, params = qs.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def _sample_pages() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages FROM pg_class WHERE oid = %s::regclass", [Recording._meta.db_table]
        )
        return cursor.fetchone()[0] or 0


def _sample_share() -> float:
    """PostgreSQL: the share of the table the block sample reads."""
    pages = _sample_pages()
    return 1.0 if pages <= SAMPLE_PAGES else SAMPLE_PAGES / pages


# SQLite: each row's month is grouped on from the stored UTC text, not with TruncMonth, which
# there is a Python function called per row (~20 µs: 2,001 rows were most of a list page's
# CPU, issue 22 §4). Away from a month's first and last days the UTC month is the local one
# (no time zone is a day off UTC); rows of those days are grouped by the minute, and each
# group's local month is taken in Python (`_month`).
_SQLITE_MONTH_KEY = (
    "CASE WHEN substr(started_at, 9, 2) BETWEEN '02' AND '27' "
    "THEN substr(started_at, 1, 7) ELSE substr(started_at, 1, 16) END"
)


def _facet_sql(qs: QuerySet[Recording]) -> tuple[str, list]:
    if connection.vendor == "sqlite":
        window = qs.values("media_kind", "status", "unit_id", "started_at")
        month = _SQLITE_MONTH_KEY
    else:
        window = qs.annotate(month=TruncMonth("started_at")).values(
            "media_kind", "status", "unit_id", "month"
        )
        month = "month"
    sql, params = window.query.sql_with_params()
    return (
        f"SELECT media_kind, status, unit_id, {month} AS month, COUNT(*) "
        f"FROM ({sql}) w GROUP BY media_kind, status, unit_id, month",
        list(params),
    )


def _month(value, zone) -> str:
    """'YYYY-MM' of a facet row's month: TruncMonth's local datetime, or SQLite's key (a UTC
    month, or a UTC minute of a month's first or last days, taken to the local month)."""
    if isinstance(value, str) and len(value) == 16:
        at = dt.datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
        local = at.astimezone(zone)
        return f"{local.year:04d}-{local.month:02d}"
    return str(value)[:7]


def _count(sql: str, params: list) -> tuple[dict[str, dict[str, int]], int]:
    counts: dict[str, dict[str, int]] = {}
    total = 0
    zone = timezone.get_current_timezone()  # TruncMonth's
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, status, unit_id, month, n in cursor.fetchall():
            total += n
            for facet, value in (
                ("media_kind", kind),
                ("status", status),
                ("unit", str(unit_id or "")),
                ("month", _month(month, zone)),
            ):
                bucket = counts.setdefault(facet, {})
                bucket[value] = bucket.get(value, 0) + n
    return counts, total


def _matches_nothing(qs: QuerySet[Recording]) -> bool:
    """A filter no row can match (an unknown unit, an id past 64 bits) compiles to no SQL at
    all: the raw SQL below would fail on it (a 500 for /recordings/?unit=999, issue 15 row 12)."""
    try:
        qs.query.sql_with_params()
    except EmptyResultSet:
        return True
    return False


def _reads_table(qs: QuerySet[Recording]) -> bool:
    """A text condition (trigram index on PostgreSQL, FTS5 or LIKE on SQLite) reads the table rows
    anyway: then the count takes the ids too, and the page needs no second scan. Without one
    the count is answered from a covering index alone, which taking the ids would spoil."""
    where = str(qs.query).partition(" WHERE ")[2]
    return "search_text" in where or SQLITE_TEXT_TABLE in where or " LIKE " in where.upper()


def _matches(
    window: QuerySet[Recording], counted: int | None = None
) -> tuple[dict[str, dict[str, int]], int, list[int]]:
    """Facet counts (of the newest `counted` rows, or all), total and ids (newest first) of a
    sliced search, from its rows."""
    # The month in Python from started_at, not TruncMonth in the query: on SQLite that is a
    # Python function called per row and a second datetime conversion, ~half of a 2,001-row
    # read (issue 22 §3). The current time zone, as TruncMonth's.
    rows = list(window.values_list("pk", "started_at", "media_kind", "status", "unit_id"))
    rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
    counts: dict[str, dict[str, int]] = {}
    zone = timezone.get_current_timezone()  # once: each look-up goes through asgiref
    for _pk, at, kind, status, unit_id in rows[:counted]:
        local = at.astimezone(zone)
        for facet, value in (
            ("media_kind", kind),
            ("status", status),
            ("unit", str(unit_id or "")),
            ("month", f"{local.year:04d}-{local.month:02d}"),
        ):
            bucket = counts.setdefault(facet, {})
            bucket[value] = bucket.get(value, 0) + 1
    return counts, len(rows), [r[0] for r in rows]


def _grouped(window: QuerySet[Recording]) -> tuple[dict[str, dict[str, int]], int]:
    """Facet counts and total of a (sliced) search, grouped in the database."""
    return _count(*_facet_sql(window))


def _sampled(qs: QuerySet[Recording]) -> tuple[dict[str, dict[str, int]], int, float]:
    """PostgreSQL: facet counts and hits in a repeatable block sample, and the scale factor."""
    table = Recording._meta.db_table
    percent = 100.0 * _sample_share()
    sql, params = _facet_sql(qs.order_by())
    source = f'FROM "{table}"'
    if sql.count(source) != 1:  # a join: sampling would not be of this table alone
        return {}, 0, 1.0
    sampled = f"{source} TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE (1)"
    counts, hits = _count(sql.replace(source, sampled), params)
    return counts, hits, 100.0 / percent


def _facets(counts: dict[str, dict[str, int]]) -> dict[str, list[FacetValue]]:
    kinds = dict(MediaKind.choices)
    statuses = dict(RecordingStatus.choices)

    def most_first(facet: str):
        return sorted(counts.get(facet, {}).items(), key=lambda item: -item[1])

    facets = {
        "media_kind": [
            FacetValue({"media_kind": v}, kinds.get(v, v), n) for v, n in most_first("media_kind")
        ],
        "status": [
            FacetValue({"status": v}, statuses.get(v, v), n) for v, n in most_first("status")
        ],
    }
    top = [(int(v), n) for v, n in most_first("unit") if v][:TOP_UNITS]
    names = dict(Unit.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "name"))
    facets["unit"] = [FacetValue({"unit": str(pk)}, names.get(pk, "?"), n) for pk, n in top]
    facets["month"] = []
    for value, n in sorted(counts.get("month", {}).items(), reverse=True):
        year, month = int(value[:4]), int(value[5:7])
        last = calendar.monthrange(year, month)[1]
        params = {"date_from": f"{year}-{month:02d}-01", "date_to": f"{year}-{month:02d}-{last}"}
        facets["month"].append(FacetValue(params, f"{year}年{month}月", n))
    return facets


def page_rows(qs: QuerySet[Recording], start: int, end: int) -> list[Recording]:
    """Rows start..end, newest first. The ids come first, through the narrow indexes; joining
    officer, device and unit before the LIMIT would sort whole wide rows."""
    if end <= start:
        return []
    if connection.vendor == "sqlite":
        ids = _sqlite_page_ids(qs, start, end)
    else:
        ids = list(qs.order_by("-started_at", "-id").values_list("pk", flat=True)[start:end])
    rows = qs.model.objects.select_related("officer", "device", "unit").in_bulk(ids)
    return [rows[pk] for pk in ids]


def _sqlite_page_ids(qs: QuerySet[Recording], start: int, end: int) -> list[int]:
    """SQLite: the ids of ORDER BY started_at DESC, id DESC [start:end], without that ORDER BY.
    Asked for both columns, its planner reads every row of a unit head's scope through the
    unit and uploader indexes and sorts them all, whatever the page (0.5 s at 200k rows; deep
    pages timed out at 30 s under load at 1M, issue 22 §4); asked for started_at alone it
    walks the time index backwards and stops at the page. So: the first `end` rows by time,
    every row at the last of their times (only those may be out of id order), both sorted.
    The times are read as the stored text, which SQLite's ORDER BY compares too (converting
    each to a datetime doubled the cost of a deep page)."""
    stored = Cast("started_at", CharField())
    newest = list(qs.order_by("-started_at").annotate(at=stored).values_list("pk", "at")[:end])
    if not newest:
        return []
    last = newest[-1][1]
    found = dict(newest)
    tied = qs.order_by().filter(started_at=dt.datetime.fromisoformat(last).replace(tzinfo=dt.UTC))
    found.update(tied.annotate(at=stored).values_list("pk", "at"))
    ordered = sorted(found.items(), key=lambda row: (row[1], row[0]), reverse=True)
    return [pk for pk, _ in ordered[start:end]]


def _in_order(qs: QuerySet[Recording], ids: list[int]) -> list[Recording]:
    rows = qs.model.objects.select_related("officer", "device", "unit").in_bulk(ids)
    return [rows[pk] for pk in ids]


def page_number(raw: str | int | None, last: int) -> int:
    """Like Paginator.get_page: not a number → 1, past the end → the last page."""
    try:
        number = int(raw) if raw else 1
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), last)


def search_page(
    qs: QuerySet[Recording], raw_page=None, *, size: int | None = None, cap: int | None = None
) -> SearchPage:
    """The page asked for, with the search's summary. Up to the cap pages are counted (past
    the last → the last); past it they go PAGE_LIMIT_ROWS deep."""
    size = size or settings.AVRECORDS_PAGE_SIZE
    with planned_for_lists():
        summary = summarise(qs, cap=cap)
        if summary.capped:
            last = max(1, PAGE_LIMIT_ROWS // size)
        else:
            last = max(1, math.ceil(summary.total / size))
        number = page_number(raw_page, last)
        start = (number - 1) * size
        end = min(start + size, summary.total if not summary.capped else PAGE_LIMIT_ROWS)
        ordered = summary.ordered_ids
        if ordered is not None and not summary.capped:
            rows = _in_order(qs, ordered[start:end])
        elif ordered is not None and end < len(ordered):  # the newest rows, already read
            rows = _in_order(qs, ordered[start : end + 1])
        else:
            rows = page_rows(qs, start, end + 1 if summary.capped else end)
    has_next = number < last and (len(rows) > end - start if summary.capped else True)
    return SearchPage(rows[: max(0, end - start)], number, size, summary, has_next)
