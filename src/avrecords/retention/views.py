"""Retention pages (M5, S1): the dashboard here; holds in `views_holds`, disposal lists in
`views_disposal`, destruction records in `views_records`, a recording's box in
`views_recording`.

Every page needs `approvals.can_read` (403). An object is found through its scoped queryset
first: outside the user's units it is 404, even for a POST-only action (then 405), before
the permission to act (403). Rules live in the services; a refused step is shown on the
object's page with status 400 and nothing changed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import render

from avrecords.retention import approvals, dashboard


def ip_of(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def need(allowed: bool, message: str = "") -> None:
    if not allowed:
        raise PermissionDenied(message or None)


def need_reader(user) -> None:
    need(
        approvals.can_read(user),
        "无权查看保存期限：仅单位负责人、分管领导、管理员、监督人员和档案管理员",
    )


def post_only(request) -> HttpResponseNotAllowed | None:
    return HttpResponseNotAllowed(["POST"]) if request.method != "POST" else None


def int_or_none(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def gb(size) -> float:
    return (size or 0) / dashboard.GB


@login_required
def index(request):
    user = request.user
    need_reader(user)
    data = dashboard.summary(user)
    for row in data["by_category"] + data["by_year"]:
        row["gb"] = gb(row["size"])
    expiring = [
        {"days": days, "count": agg["count"], "gb": gb(agg["size"])}
        for days, agg in data["expiring"].items()
    ]
    return render(
        request,
        "retention/index.html",
        {
            "nav": "retention",
            "data": data,
            "expiring": expiring,
            "awaiting": dashboard.awaiting(user),
        },
    )
