"""One filter per list, shared by the page and the API (issue 16 §5).

The list of access requests: the page passes `request.GET`, the API its query as a dict;
both start from `AccessRequest.objects.visible_to(user)` (X2). Invalid values come back as
Chinese reasons, with an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from avrecords.access import inbox
from avrecords.access.models import AccessRequest, RequestKind, RequestStatus
from avrecords.lib.filters import Params

TABS = (("mine", "我的申请"), ("approve", "待我审批"), ("execute", "待我办理"), ("all", "全部"))


def filter_requests(
    user,
    qs: QuerySet[AccessRequest],
    params: Mapping,
    *,
    default_tab: str = "all",
    waiting: tuple[list[AccessRequest], list[AccessRequest]] | None = None,
) -> tuple[QuerySet[AccessRequest], dict[str, str]]:
    """tab: mine (the user's own), approve (waiting for the user's decision), execute (waiting
    for the user to carry out), all; `mine` (API) is tab=mine; kind, status: one value each.
    `waiting`: the user's (to approve, to carry out) when the caller has them already, so the
    approvals engine is not asked twice for one page."""
    p = Params(params)
    tab = p.choice("tab", TABS, "列表") or ("mine" if p.flag("mine", "我的申请") else default_tab)
    kind = p.choice("kind", RequestKind.choices, "申请类型")
    status = p.choice("status", RequestStatus.choices, "状态")
    if p.errors:
        return qs.none(), p.errors
    if tab == "mine":
        qs = qs.filter(requester=user)
    elif tab == "approve":
        rows = waiting[0] if waiting is not None else inbox.to_approve(user)
        qs = qs.filter(pk__in=[r.pk for r in rows])
    elif tab == "execute":
        rows = waiting[1] if waiting is not None else inbox.to_execute(user)
        qs = qs.filter(pk__in=[r.pk for r in rows])
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs, p.errors
