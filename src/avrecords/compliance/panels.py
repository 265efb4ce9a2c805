"""What compliance contributes to the case page (`avrecords.panels`), registered in `apps.py`:
the rule cases asks to find and file activities (`panels.CASE_ACTIVITIES`), and the 执法活动
section of a case's page with its link and unlink forms (M10). Cases and compliance are
siblings: neither imports the other, and the case page posts what to file to its own address."""

from __future__ import annotations

from django.template.loader import render_to_string

from avrecords import panels
from avrecords.compliance.activities import linked_recordings
from avrecords.compliance.models import Activity

CANDIDATES_SHOWN = 200


def visible(user):
    return Activity.objects.visible_to(user)


def case_activities(request, case, *, errors, can_link, link_url, unlink_url, **_) -> str:
    """The case's activities the person may see, and (while it takes links) the unit's
    activities not yet in a case to choose from."""
    user = request.user
    context = {
        "activities": visible(user)
        .filter(case=case)
        .select_related("unit")
        .prefetch_related("officers")
        .order_by("started_at", "pk"),
        "activity_candidates": visible(user)
        .filter(unit=case.unit, case__isnull=True)
        .order_by("-started_at", "-pk")[:CANDIDATES_SHOWN]
        if can_link
        else [],
        "can_link": can_link,
        "link_url": link_url,
        "unlink_url": unlink_url,
    }
    return render_to_string("compliance/panels/case_activities.html", context, request=request)


def register() -> None:
    panels.CASE_ACTIVITIES.provide(visible=visible, recordings=linked_recordings)
    panels.CASE.register("compliance", slot="main", render=case_activities)
