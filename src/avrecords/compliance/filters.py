"""One filter per list, shared by the page and the API (issue 16 §5).

Each takes the scoped queryset (`Model.objects.visible_to(user)` first) and the parameters
(`request.GET` on the page, the API's query as a dict) and answers the filtered queryset
and the Chinese reason for every invalid parameter; with any, the queryset is empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet

from avrecords.compliance.models import Activity, Finding, FindingKind, FindingStatus
from avrecords.lib.filters import Params
from avrecords.recordings.textsearch import tidy

OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.EXPLAINED)


def filter_findings(qs: QuerySet[Finding], params: Mapping) -> tuple[QuerySet, dict[str, str]]:
    """status: open (default: 待处理 and 已说明), all, or one status; kind: one kind."""
    p = Params(params)
    status = (
        p.choice("status", (("open", "待处理"), ("all", "全部"), *FindingStatus.choices), "状态")
        or "open"
    )
    kind = p.choice("kind", FindingKind.choices, "类型")
    if p.errors:
        return qs.none(), p.errors
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs, p.errors


def filter_activities(qs: QuerySet[Activity], params: Mapping) -> tuple[QuerySet, dict[str, str]]:
    """kind: the profile's activity kind; open: only those with a finding still open;
    external_ref: the case system's own number; q: words in the kind's name, party, place or
    case number."""
    p = Params(params)
    kind = p.text("kind")
    q = tidy(p.text("q"))
    open_only = p.flag("open", "只看有待处理问题的")
    external_ref = p.text("external_ref")
    if p.errors:
        return qs.none(), p.errors
    if kind:
        qs = qs.filter(kind=kind)
    if external_ref:
        qs = qs.filter(external_ref=external_ref)
    if q:
        qs = qs.filter(
            Q(kind_name__icontains=q)
            | Q(party__icontains=q)
            | Q(place__icontains=q)
            | Q(case_number__icontains=q)
        )
    if open_only:
        qs = qs.filter(findings__status__in=OPEN_STATUSES).distinct()
    return qs, p.errors
