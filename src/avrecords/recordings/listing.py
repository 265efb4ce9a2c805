"""One page of a recordings search with its counts and facets, fast at ten million rows (M4).

`COUNT(*)` over millions of matching rows takes seconds, so a list never counts more than
`AVRECORDS_SEARCH_COUNT_CAP` rows (default 10,000). One query reads the newest cap + 1
matching rows through the best index and aggregates them in the database:

- up to the cap, the total and every facet are exact;
- past it, the page says "超过 10000 条", offers only the first cap rows page by page, and the
  facets (media kind, status, unit, month) describe the newest cap matching rows, which the
  page says in words. Clicking a facet narrows the search, usually back under the cap.

A second query reads the page's rows. Facets only ever narrow: they are computed from, and
link back to, the same scoped search, so they never show or reach anything outside it (X2).
"""

from __future__ import annotations

import calendar
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, DateField, QuerySet
from django.db.models.functions import Cast, TruncMonth

from avrecords.org.models import Unit
from avrecords.recordings.models import MediaKind, Recording, RecordingStatus

TOP_UNITS = 10


@dataclass
class FacetValue:
    """One clickable value: the filter parameters it sets, a label and how many rows have it."""

    params: dict[str, str]
    label: str
    count: int
    active: bool = False


@dataclass
class Summary:
    """How many rows match (exactly, or 'more than the cap') and how they divide up."""

    total: int
    capped: bool
    cap: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def counted(self) -> int:
        """The rows the facets describe: all matches, or the newest `cap` of them."""
        return min(self.total, self.cap)


@dataclass
class SearchPage:
    """A page of rows, with what a pager needs (the shape of Django's Page, capped)."""

    rows: list[Recording]
    number: int
    size: int
    summary: Summary

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.summary.counted / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

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
    """Total (capped) and facet counts over the newest `cap` rows of a search, in one query."""
    cap = count_cap() if cap is None else cap
    month = Cast(TruncMonth("started_at", output_field=DateField()), CharField())
    window = (
        qs.order_by("-started_at")
        .annotate(month=month)
        .values("media_kind", "status", "unit_id", "month")[: cap + 1]
    )
    sql, params = window.query.sql_with_params()
    unit = "CAST(unit_id AS VARCHAR(20))"
    query = (
        f"WITH w AS MATERIALIZED ({sql}), f AS MATERIALIZED (SELECT * FROM w LIMIT {cap}) "
        "SELECT 'total', '', COUNT(*) FROM w "
        "UNION ALL SELECT 'media_kind', media_kind, COUNT(*) FROM f GROUP BY media_kind "
        "UNION ALL SELECT 'status', status, COUNT(*) FROM f GROUP BY status "
        f"UNION ALL SELECT 'unit', {unit}, COUNT(*) FROM f GROUP BY unit_id "
        "UNION ALL SELECT 'month', month, COUNT(*) FROM f GROUP BY month"
    )
    counts: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for facet, value, n in cursor.fetchall():
            counts.setdefault(facet, {})[value or ""] = n
    total = counts.pop("total", {}).get("", 0)
    summary = Summary(total=min(total, cap + 1), capped=total > cap, cap=cap)
    summary.facets = _facets(counts)
    return summary


def _facets(counts: dict[str, dict[str, int]]) -> dict[str, list[FacetValue]]:
    kinds = dict(MediaKind.choices)
    statuses = dict(RecordingStatus.choices)
    by_count = sorted
    facets = {
        "media_kind": [
            FacetValue({"media_kind": v}, kinds.get(v, v), n)
            for v, n in by_count(counts.get("media_kind", {}).items(), key=lambda i: -i[1])
        ],
        "status": [
            FacetValue({"status": v}, statuses.get(v, v), n)
            for v, n in by_count(counts.get("status", {}).items(), key=lambda i: -i[1])
        ],
    }
    units = counts.get("unit", {})
    top = sorted(((int(v), n) for v, n in units.items() if v), key=lambda i: -i[1])[:TOP_UNITS]
    names = dict(Unit.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "name"))
    facets["unit"] = [FacetValue({"unit": str(pk)}, names.get(pk, "?"), n) for pk, n in top]
    facets["month"] = []
    for value, n in sorted(counts.get("month", {}).items(), reverse=True):
        year, month = int(value[:4]), int(value[5:7])
        last = calendar.monthrange(year, month)[1]
        params = {"date_from": f"{year}-{month:02d}-01", "date_to": f"{year}-{month:02d}-{last}"}
        facets["month"].append(FacetValue(params, f"{year}年{month}月", n))
    return facets


def page_number(raw: str | int | None, num_pages: int) -> int:
    """Like Paginator.get_page: not a number → 1, past the end → the last page."""
    try:
        number = int(raw) if raw else 1
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), num_pages)


def search_page(qs: QuerySet[Recording], raw_page=None, *, size: int | None = None,
                cap: int | None = None) -> SearchPage:  # fmt: skip
    """The page asked for (clamped to the capped page count), with the search's summary."""
    size = size or settings.AVRECORDS_PAGE_SIZE
    with planned_for_lists():
        summary = summarise(qs, cap=cap)
        number = page_number(raw_page, max(1, math.ceil(summary.counted / size)))
        start = (number - 1) * size
        end = min(start + size, summary.counted)  # never past the cap
        rows = list(qs.order_by("-started_at", "-id")[start:end]) if end > start else []
    return SearchPage(rows, number, size, summary)
