"""One filter per list, shared by the page and the API (issue 16 §5).

The recordings search: the page passes `request.GET`, the API its query as a dict; both read
the parameters here into a `search.RecordingFilter` and search with `search_recordings`,
which starts from the user's scope (X2). Invalid values come back as Chinese reasons, with
an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from avrecords.lib.filters import Params
from avrecords.recordings.models import MediaKind, Recording, RecordingStatus
from avrecords.recordings.search import RecordingFilter, search_recordings


def read_recording_filter(params: Mapping) -> tuple[RecordingFilter, dict[str, str]]:
    p = Params(params)
    f = RecordingFilter(
        officer=p.integer("officer", "执法人员"),
        officer_q=p.text("officer_q"),
        device=p.text("device"),
        unit=p.integer("unit", "单位"),
        date_from=p.date("date_from", "起始日期"),
        date_to=p.date("date_to", "截止日期"),
        media_kind=p.choice("media_kind", MediaKind.choices, "类型"),
        status=p.choice("status", RecordingStatus.choices, "状态"),
        needs_assignment=p.flag("needs_assignment", "待指派"),
        party=p.text("party"),
        place=p.text("place"),
        case_number=p.text("case_number"),
        q=p.text("q"),
    )
    return f, p.errors


def filter_recordings(user, params: Mapping) -> tuple[QuerySet[Recording], dict[str, str]]:
    f, errors = read_recording_filter(params)
    if errors:
        return Recording.objects.none(), errors
    return search_recordings(user, f), errors
