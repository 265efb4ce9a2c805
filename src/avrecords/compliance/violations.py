"""Violation candidates (S4, automatic part): made from findings, worked by supervisors later."""

from __future__ import annotations

from django.db import transaction

from avrecords.audit.services import record
from avrecords.compliance.models import Finding, FindingKind, FindingStatus, ViolationCandidate

KINDS = {
    FindingKind.LATE_INGEST: ("late_ingest", "未按规定时限存储音像记录"),
    FindingKind.GAP: ("unexplained_interruption", "记录中断未说明"),
    FindingKind.UNCOVERED: ("unexplained_interruption", "执法过程未全程记录且未说明"),
    FindingKind.MISSING: ("not_recorded", "应当记录而未记录"),
}


@transaction.atomic
def from_finding(finding: Finding, *, escalate: bool) -> ViolationCandidate:
    """The candidate of a finding (once); `escalate` marks the finding as handed over."""
    kind, name = KINDS[finding.kind]
    candidate, created = ViolationCandidate.objects.get_or_create(
        finding=finding,
        defaults={
            "kind": kind,
            "kind_name": name,
            "person_id": finding.officer_id,
            "unit_id": finding.unit_id,
            "activity_id": finding.activity_id,
            "summary": finding.summary,
            "cite": finding.cite,
        },
    )
    if created:
        evidence = [
            pk for pk in (finding.recording_id, *finding.detail.get("recordings", [])) if pk
        ]
        for key in ("before", "after"):
            if finding.detail.get(key):
                evidence.append(finding.detail[key])
        candidate.recordings.set(sorted(set(evidence)))
        record(
            "violation.candidate",
            obj=candidate,
            summary=f"违规线索：{name}（{finding.summary}）",
            detail={"finding": finding.pk, "kind": kind, "person": finding.officer_id},
        )
    if escalate:
        Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.ESCALATED)
    return candidate


def from_late_ingest(finding: Finding) -> ViolationCandidate:
    """M1: late ingest is a violation candidate at once; the finding stays for the record."""
    return from_finding(finding, escalate=False)


@transaction.atomic
def raise_once(key: str, *, audit_summary: str, audit_detail: dict, **fields) -> ViolationCandidate:
    """A candidate not tied to a finding (a lost device, an overdue clearance), made once per
    `key` and audited when made."""
    candidate, created = ViolationCandidate.objects.get_or_create(key=key, defaults=fields)
    if created:
        record("violation.candidate", obj=candidate, summary=audit_summary, detail=audit_detail)
    return candidate
