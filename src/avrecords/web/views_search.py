"""The top bar's search (issue 17 §1): recordings, activities, cases and devices found by the
`q` each list's own filter understands, in the user's scope (X2); confidential recordings he is
not cleared for are left out exactly as the lists leave them out (M9)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from avrecords.cases.filters import filter_cases
from avrecords.compliance.filters import filter_activities
from avrecords.compliance.models import Activity
from avrecords.equipment.access import filter_devices
from avrecords.recordings.filters import filter_recordings

MAX_QUERY_CHARS = 100
SHOWN_PER_KIND = 5
COUNT_CAP = 1000  # past this the page says "超过 1000 条" instead of counting on


@dataclass
class Found:
    """One kind of thing found: its first rows, how many in all, and its list with ?q=."""

    kind: str
    rows: list
    total: int
    more_url: str

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


def _found(kind: str, qs, list_name: str, q: str) -> Found:
    rows = list(qs[:SHOWN_PER_KIND])
    total = len(rows) if len(rows) < SHOWN_PER_KIND else qs[: COUNT_CAP + 1].count()
    return Found(kind, rows, total, f"{reverse(list_name)}?{urlencode({'q': q})}")


def search_all(user, q: str) -> list[Found]:
    params = {"q": q}
    recordings, _ = filter_recordings(user, params)
    activities, _ = filter_activities(
        Activity.objects.visible_to(user).select_related("unit").order_by("-started_at"), params
    )
    cases, _ = filter_cases(user, params)
    devices = filter_devices(user, params).select_related("unit").order_by("serial")
    return [
        _found("音像记录", recordings.order_by("-started_at"), "recordings:list", q),
        _found("执法活动", activities, "compliance:activities", q),
        _found("案卷", cases.select_related("unit"), "cases:list", q),
        _found("设备", devices, "equipment:devices", q),
    ]


@login_required
@require_GET
def search(request):
    q = " ".join(request.GET.get("q", "").split())
    error, results = "", []
    if not q:
        error = "请输入要搜索的内容，如当事人、地点、案件编号、执法人员姓名或设备序号。"
    elif len(q) > MAX_QUERY_CHARS:
        error = f"搜索内容过长，请不超过 {MAX_QUERY_CHARS} 个字。"
    else:
        results = search_all(request.user, q)
    return render(
        request,
        "web/search.html",
        {
            "search_q": q[:MAX_QUERY_CHARS],
            "error": error,
            "results": results,
            "nothing": bool(results) and not any(f.total for f in results),
            "cap": COUNT_CAP,
        },
        status=400 if error and q else 200,
    )
