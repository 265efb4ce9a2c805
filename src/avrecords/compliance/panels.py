"""What compliance contributes to the case page (`avrecords.panels`), registered in `apps.py`:
the rule cases asks to find and file activities (`panels.CASE_ACTIVITIES`), and the 执法活动
section of a case's page with its link and unlink forms (M10), and the 合规问题 box of a
recording's page. Cases and compliance are
siblings: neither imports the other, and the case page posts what to file to its own address."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from avrecords import panels
from avrecords.compliance.activities import linked_recordings
from avrecords.compliance.marks import findings_about
from avrecords.compliance.models import Activity, FindingKind
from avrecords.compliance.workflows import may_explain
from avrecords.policies.services import profile_for_unit

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


def recording_findings(request, recording, **_) -> str:
    """合规问题 on the recording page (issue 17 §4): what the compliance check found about this
    recording, and for the officer who must answer a gap, the explanation form in place (U3),
    so he need not look for it in 待办."""
    found = findings_about(request.user, recording)
    if not found:
        return ""
    now = timezone.now()
    for finding in found:
        finding.answerable = may_explain(request.user, finding)
        finding.late = bool(finding.respond_by and finding.respond_by < now)
        if finding.answerable and finding.kind in (FindingKind.GAP, FindingKind.UNCOVERED):
            profile = profile_for_unit(finding.unit)
            finding.reasons = profile.interruptions.reasons if profile else []
    return render_to_string(
        "compliance/panels/recording_findings.html",
        {"findings": found, "back": request.get_full_path()},
        request=request,
    )


def register() -> None:
    panels.CASE_ACTIVITIES.provide(visible=visible, recordings=linked_recordings)
    panels.CASE.register("compliance", slot="main", render=case_activities)
    panels.RECORDING.register("compliance", slot="side", order=5, render=recording_findings)
