"""`/pick/<kind>/?q=`: the matches of a picker as an HTML fragment for HTMX (issue 17 §6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from avrecords.lib.refusals import NotFound
from avrecords.web import pickers

NOUNS = {
    "recordings": "音像记录",
    "activities": "执法活动",
    "cases": "案卷",
    "people": "人员",
    "devices": "设备",
}


@login_required
@require_GET
def pick(request, kind: str):
    if kind not in pickers.KINDS:
        raise NotFound()
    q = request.GET.get("q", "")
    context = {"noun": NOUNS[kind], "limit": pickers.MATCHES_MAX, "q": q.strip()}
    try:
        context["choices"] = pickers.find(request.user, kind, q)
    except pickers.QueryTooLong as exc:
        context["error"] = str(exc)
    return render(request, "web/pickers/results.html", context)
