"""One filter per list, shared by the page and the API (issue 16 §5).

Each takes the scoped queryset (`Model.objects.visible_to(user)` first) and the parameters
(`request.GET` on the page, the API's query as a dict) and answers the filtered queryset
and the Chinese reason for every invalid parameter; with any, the queryset is empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from avrecords.lib.filters import Params
from avrecords.supervision import review
from avrecords.supervision.models import Campaign, CampaignKind, CampaignStatus


def filter_campaigns(
    qs: QuerySet[Campaign], params: Mapping
) -> tuple[QuerySet[Campaign], dict[str, str]]:
    """status, kind: one value each."""
    p = Params(params)
    status = p.choice("status", CampaignStatus.choices, "状态")
    kind = p.choice("kind", CampaignKind.choices, "类型")
    if p.errors:
        return qs.none(), p.errors
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs, p.errors


def filter_review(user, params: Mapping) -> tuple[QuerySet, list[str]]:
    """The activities a supervisor may review, filtered by `review.read_filter`'s parameters:
    unit, officer, date_from, date_to, kind, and findings (the page: 1 有 / 0 无) or
    has_findings (the API: true / false). Invalid values: Chinese reasons, an empty list."""
    values = {k: ("" if v is None else str(v)) for k, v in params.items()}
    has = params.get("has_findings")
    if has not in (None, "") and not values.get("findings"):
        values["findings"] = {True: "1", False: "0"}.get(has, str(has))
    f, errors = review.read_filter(values)
    if errors:
        return review.reviewable(user).none(), errors
    return review.search(user, f), errors
