"""Retention pages (M5, S1): the dashboard here; holds in `views_holds`, disposal lists in
`views_disposal`, destruction records in `views_records`, a recording's box in
`views_recording`.

Every page needs `approvals.can_read` (403). The request helpers (client address, POST only,
whole numbers) are lib/http's and refusals raise `lib.refusals` types. An object is found through its scoped queryset
first: outside the user's units it is 404, even for a POST-only action (then 405), before
the permission to act (403). Rules live in the services; a refused step is shown on the
object's page with status 400 and nothing changed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from avrecords.lib.refusals import require
from avrecords.retention import approvals, dashboard


def need_reader(user) -> None:
    require(
        approvals.can_read(user),
        "无权查看保存期限：仅单位负责人、分管领导、管理员、监督人员和档案管理员",
    )


@login_required
def index(request):
    user = request.user
    need_reader(user)
    data = dashboard.summary(user)
    expiring = [
        {"days": days, "count": agg["count"], "size": agg["size"] or 0}
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
