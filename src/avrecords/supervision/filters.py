"""One filter per list, shared by the page and the API (issue 16 §5).

Each takes the scoped queryset (`Model.objects.visible_to(user)` first) and the parameters
(`request.GET` on the page, the API's query as a dict) and answers the filtered queryset
and the Chinese reason for every invalid parameter; with any, the queryset is empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from avrecords.lib.filters import Params
from avrecords.supervision.models import Campaign, CampaignKind, CampaignStatus


def filter_campaigns(
    qs: QuerySet[Campaign], params: Mapping
) -> tuple[QuerySet[Campaign], dict[str, str]]:
    """status, kind: one value each."""
    p = Params(params)
    status = p.choice("status", CampaignStatus.values, "状态")
    kind = p.choice("kind", CampaignKind.values, "类型")
    if p.errors:
        return qs.none(), p.errors
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs, p.errors
