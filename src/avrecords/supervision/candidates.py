"""Violation candidates raised automatically (S4): what the register receives from below.

Compliance and equipment do not write the register; they send events (`avrecords.events`)
that `supervision.subscribers` turns into calls here, inside the sender's transaction:

- a finding escalated because nobody explained it in time (`finding.escalated`, U3/U4), or a
  recording stored late (`finding.late_ingest`, M1: a candidate at once, the finding stays);
- a device reported lost or stolen (`device.lost`, E6; 001§27(7), 004§23(7)…).

An open clearance past its deadline (E5, 004§23(5)) has no event: the rule reads the
clearance and what is outstanding on it (`compliance.clearance`), both below this layer, and
the worker runs it (`from_overdue_clearances`).

Each candidate is made once per cause (its finding, or its `key`) and audited when made
(`violation.candidate`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.compliance import clearance as clearances
from avrecords.compliance.models import Finding, FindingKind
from avrecords.equipment.models import Clearance, ClearanceStatus, DeviceEvent
from avrecords.policies.services import profile_for_unit
from avrecords.supervision.models import ViolationCandidate

KINDS = {
    FindingKind.LATE_INGEST: ("late_ingest", "未按规定时限存储音像记录"),
    FindingKind.GAP: ("unexplained_interruption", "记录中断未说明"),
    FindingKind.UNCOVERED: ("unexplained_interruption", "执法过程未全程记录且未说明"),
    FindingKind.MISSING: ("not_recorded", "应当记录而未记录"),
}


@transaction.atomic
def from_finding(finding: Finding) -> ViolationCandidate:
    """The candidate of a finding (once), with the recordings it is about as evidence."""
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
    return candidate


@transaction.atomic
def raise_once(key: str, *, audit_summary: str, audit_detail: dict, **fields) -> ViolationCandidate:
    """A candidate not tied to a finding (a lost device, an overdue clearance), made once per
    `key` and audited when made."""
    candidate, created = ViolationCandidate.objects.get_or_create(key=key, defaults=fields)
    if created:
        record("violation.candidate", obj=candidate, summary=audit_summary, detail=audit_detail)
    return candidate


def from_device_loss(event: DeviceEvent) -> ViolationCandidate:
    """S4/E6: a lost or stolen device is a violation candidate (once per report), under the
    article the unit's profile gives for losses."""
    device = event.device
    profile = profile_for_unit(device.unit)
    cite = profile.equipment.loss.cite if profile else ""
    who = event.person.display_name if event.person else "（无领用人）"
    return raise_once(
        f"device-{event.kind}:{event.pk}",
        audit_summary=f"违规线索：保管不妥造成设备遗失、被盗（{device.serial}）",
        audit_detail={"event": event.pk, "person": event.person_id, "device": device.pk},
        kind="equipment_loss",
        kind_name="保管不妥造成设备遗失、被盗",
        person=event.person,
        unit=device.unit,
        device=device,
        summary=f"设备 {device.serial} {event.get_kind_display()}（{who}）：{event.note}"[:300],
        cite=cite,
    )


def from_overdue_clearances(now: dt.datetime | None = None) -> int:
    """004§23(5): an open clearance past its deadline with something still outstanding is a
    violation candidate (once); answers how many were made."""
    now = now or timezone.now()
    made = 0
    for clearance in Clearance.objects.filter(
        status=ClearanceStatus.OPEN, due_at__lt=now
    ).select_related("person", "unit"):
        left = clearances.outstanding(clearance)
        if not left:
            continue
        key = f"clearance:{clearance.pk}"
        if ViolationCandidate.objects.filter(key=key).exists():
            continue
        name = clearance.person.display_name
        raise_once(
            key,
            audit_summary=f"违规线索：人员调动时未做好交接（{name}）",
            audit_detail={"clearance": clearance.pk, "outstanding": left},
            kind="no_handover",
            kind_name="人员调动时未做好交接",
            person=clearance.person,
            unit=clearance.unit,
            summary=f"{name} {clearance.get_kind_display()}交接逾期未办结：{'；'.join(left)}"[:300],
            cite=clearance.cite,
        )
        made += 1
    return made
