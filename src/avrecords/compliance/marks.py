"""Findings on a recording's timeline (issue 17 §5), registered in `apps.py` with
`recordings.marks`: a late ingest, a clock or document-time mismatch, a gap at a file's
boundary (placed at the end of the segment before it and at the start of the one after), a
recording outside any activity. Only findings the person may see (X2, M9)."""

from __future__ import annotations

from django.db.models import Q

from avrecords.compliance.models import Finding, FindingKind
from avrecords.recordings.marks import Mark


def _at(finding: Finding, recording) -> float:
    """Where on this recording the finding belongs: its start unless it is about its end."""
    detail = finding.detail or {}
    end = float(recording.duration_seconds or 0)
    if finding.kind == FindingKind.GAP:
        return end if detail.get("before") == recording.pk else 0.0
    if finding.kind == FindingKind.TIME_MISMATCH:
        return end if detail.get("edge") == "end" else 0.0
    if finding.kind == FindingKind.LATE_INGEST:
        return end  # stored late: counted from the end of the recording
    return 0.0


def findings_about(user, recording) -> list[Finding]:
    """The findings the person may see that concern this recording: its own, a gap that ends
    or begins at it, a document-time mismatch at its edge of the activity."""
    activities = recording.activity_links.filter(excluded=False).values("activity_id")
    about = (
        Q(recording=recording)
        | Q(kind=FindingKind.GAP, detail__before=recording.pk)
        | Q(kind=FindingKind.TIME_MISMATCH, activity__in=activities)
    )
    found = Finding.objects.visible_to(user).filter(about).order_by("opened_at", "pk")
    return [
        f
        for f in found.select_related("activity", "officer", "unit")
        if f.kind != FindingKind.TIME_MISMATCH or _edge_of(f, recording)
    ]


def finding_marks(user, recording) -> list[Mark]:
    marks = []
    for finding in findings_about(user, recording):
        status = finding.get_status_display()
        text = f"{finding.get_kind_display()}：{finding.summary}（{status}）"
        marks.append(Mark(_at(finding, recording), "finding", text))
    return marks


def _edge_of(finding: Finding, recording) -> bool:
    """A document-time mismatch shows on the activity's first recording (start) or last (end)."""
    links = finding.activity.links.filter(excluded=False).select_related("recording")
    recordings = [link.recording for link in links]
    if not recordings:
        return False
    if (finding.detail or {}).get("edge") == "end":
        return max(recordings, key=lambda r: (r.ended_at, r.pk)).pk == recording.pk
    return min(recordings, key=lambda r: (r.started_at, r.pk)).pk == recording.pk
