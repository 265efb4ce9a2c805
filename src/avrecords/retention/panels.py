"""What retention shows on a recording's page (`avrecords.panels`), registered in `apps.py`:
the 保存期限 box (`views_recording.box`), and on a purged recording's page its destruction
record (M5)."""

from __future__ import annotations

from django.template.loader import render_to_string

from avrecords import panels
from avrecords.retention.approvals import can_read
from avrecords.retention.views_recording import box


def recording_box(request, recording, *, errors, **_) -> str:
    context = {"r": recording, "retention_errors": errors, **box(request.user, recording)}
    return render_to_string("retention/_recording_box.html", context, request=request)


def _record(recording):
    return getattr(recording, "destruction", None)


def purge_record(request, recording, *, errors, **_) -> str:
    record = _record(recording)
    if record is None:
        return ""
    context = {"record": record, "can_read_retention": can_read(request.user)}
    return render_to_string("retention/panels/purge_record.html", context, request=request)


def purge_facts(request, recording, *, errors, **_) -> str:
    record = _record(recording)
    if record is None:
        return ""
    return render_to_string(
        "retention/panels/purge_facts.html", {"record": record}, request=request
    )


def register() -> None:
    panels.RECORDING.register("retention", slot="side", order=20, render=recording_box)
    panels.RECORDING.register("retention.record", slot="purged", render=purge_record)
    panels.RECORDING.register("retention.record_facts", slot="purged_facts", render=purge_facts)
