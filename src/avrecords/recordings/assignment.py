"""指派: an administrator binds a recording that waits for assignment to its officer and
device (M1, E2, issue 15).

Only records administrators within their scope and system administrators may bind; the
person and the device must be within the administrator's scope too. Binding is audited with
what it replaced, and queues the compliance evaluation the recording did not get while it was
bound to nobody (the engine raises nothing for a recording without an officer).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from avrecords import events
from avrecords.audit import services as audit
from avrecords.equipment.custody import holder_at
from avrecords.equipment.models import Device
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.notices.services import notify
from avrecords.org.models import User
from avrecords.org.scope import can_ingest, sees_everything, unit_q
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording


class AssignmentRefused(Invalid):
    """The binding cannot be made as asked (422: the person or device chosen); Chinese."""


class AssignmentConflict(Conflict, AssignmentRefused):
    """The recording no longer waits for assignment (409: purged, or already bound)."""


def can_assign(user) -> bool:
    """Bind recordings waiting for assignment: records administrators and system administrators."""
    return can_ingest(user)


def assignable_people(user) -> QuerySet[User]:
    """Active people the administrator may bind a recording to: those of his units."""
    qs = User.objects.filter(is_active=True, unit__isnull=False).select_related("unit")
    if not sees_everything(user):
        qs = qs.filter(unit_q(user))
    return qs.order_by("unit__path", "full_name", "username")


def assignable_devices(user) -> QuerySet[Device]:
    qs = Device.objects.select_related("unit")
    if not sees_everything(user):
        qs = qs.filter(unit_q(user))
    return qs.order_by("serial")


def assign(
    actor, recording_id: int, *, officer_id: int, device_id: int | None = None, ip: str = ""
) -> Recording:
    """Bind a 待指派 recording to `officer_id` (and `device_id`, or the device its name
    names if that person held it then). Scope first (404), then permission (403)."""
    Recording.objects.get_visible(actor, recording_id)
    if not can_assign(actor):
        raise Forbidden("无权指派音像记录")
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording_id)
        if recording.purged_at is not None:
            raise AssignmentConflict("该音像记录已按保存期限清除，不能指派")
        if not recording.needs_assignment:
            raise AssignmentConflict("该音像记录已确定执法人员和设备，无需指派")
        officer = assignable_people(actor).filter(pk=officer_id).first()
        if officer is None:
            raise AssignmentRefused("所选执法人员不存在、已停用或不在您的管辖范围内")
        device = None
        if device_id is not None:
            device = assignable_devices(actor).filter(pk=device_id).first()
            if device is None:
                raise AssignmentRefused("所选设备不存在或不在您的管辖范围内")
        device = device or _named_device(recording, officer)
        before = _facts(recording)
        recording.officer = officer
        recording.device = device or recording.device
        recording.unit_id = officer.unit_id  # people one may bind to all have a unit
        recording.needs_assignment = False
        recording.assignment_note = ""
        recording.save(
            update_fields=["officer", "device", "unit", "needs_assignment", "assignment_note"]
        )
        holder = holder_at(recording.device, recording.started_at) if recording.device else None
        audit.record(
            "recording.assign",
            actor=actor,
            obj=recording,
            summary=f"指派 {recording.original_name} 给 {officer.display_name}"
            + (f"（设备 {recording.device.serial}）" if recording.device else ""),
            detail={
                "before": before,
                "after": _facts(recording),
                # who the custody records say held the device then, if not the person chosen
                "holder_at_time": holder.pk if holder and holder.pk != officer.pk else None,
            },
            ip=ip,
        )
        if profile_for_unit(recording.unit) is not None:
            events.RECORDING_STORED.send(recording=recording)  # U1, U2, M1
        notify(
            officer,
            f"音像记录已指派给您：{recording.original_name}",
            f"{actor.display_name} 指派",
            reverse("recordings:detail", args=[recording.pk]),
            "recording.assigned",
        )
    return recording


def _named_device(recording: Recording, officer: User) -> Device | None:
    """The device the file name names, if the chosen person held it at the recording time."""
    if not recording.device_serial:
        return None
    device = Device.objects.filter(serial__iexact=recording.device_serial).first()
    if device is not None and holder_at(device, recording.started_at) == officer:
        return device
    return None


def _facts(recording: Recording) -> dict:
    return {
        "officer": recording.officer_id,
        "device": recording.device_id,
        "unit": recording.unit_id,
        "note": recording.assignment_note,
    }
