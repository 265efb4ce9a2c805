"""One filter per list, shared by the page and the API (issue 16 §5).

Each takes the scoped queryset (`Model.objects.visible_to(user)` first) and the parameters
(`request.GET` on the page, the API's query as a dict) and answers the filtered queryset
and the Chinese reason for every invalid parameter; with any, the queryset is empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet

from avrecords.lib.filters import Params
from avrecords.retention.models import (
    DestructionRecord,
    DisposalList,
    DisposalStatus,
    HoldStatus,
    LegalHold,
)


def filter_holds(qs: QuerySet[LegalHold], params: Mapping) -> tuple[QuerySet, dict[str, str]]:
    """status: one value."""
    p = Params(params)
    status = p.choice("status", HoldStatus.choices, "状态")
    if p.errors:
        return qs.none(), p.errors
    return (qs.filter(status=status) if status else qs), p.errors


def filter_disposals(
    qs: QuerySet[DisposalList], params: Mapping
) -> tuple[QuerySet, dict[str, str]]:
    """status: one value."""
    p = Params(params)
    status = p.choice("status", DisposalStatus.choices, "状态")
    if p.errors:
        return qs.none(), p.errors
    return (qs.filter(status=status) if status else qs), p.errors


def _either(p: Params, name: str, short: str) -> str:
    """The API's name for a parameter, or the page form's shorter one."""
    return name if p.text(name) is not None else short


def filter_records(
    qs: QuerySet[DestructionRecord], params: Mapping
) -> tuple[QuerySet, dict[str, str]]:
    """purged_from, purged_to (the page's `from`, `to`): local dates, both included; q: in the
    number, file name, officer, unit or category, or a SHA-256 prefix."""
    p = Params(params)
    start = p.date(_either(p, "purged_from", "from"), "清除日期自")
    end = p.date(_either(p, "purged_to", "to"), "清除日期至")
    term = p.text("q")
    if p.errors:
        return qs.none(), p.errors
    if start:
        qs = qs.filter(purged_at__date__gte=start)
    if end:
        qs = qs.filter(purged_at__date__lte=end)
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(original_name__icontains=term)
            | Q(sha256__startswith=term.lower())
            | Q(officer__icontains=term)
            | Q(unit_name__icontains=term)
            | Q(category_name__icontains=term)
        )
    return qs, p.errors
