"""指派: an administrator binds a recording that waits for assignment to its officer and
device, and may correct its start time (M1, E2; issue 15, issue 19 §5).

Only records administrators within their scope and system administrators may bind; the
person and the device must be within the administrator's scope too. The person is either
chosen, or the one who held the device at the recording's start time by the custody records
(按各自时间匹配领用人). A start time set by hand is recorded as 人工指定 and read before the
custody is: a camera whose clock was wrong is matched to whoever held it at the corrected
time. Every change is audited with what it replaced (officer, device, unit, start time and
its source), and binding queues the compliance evaluation the recording did not get while it
was bound to nobody (the engine raises nothing for a recording without an officer).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from avrecords import events
from avrecords.audit import services as audit
from avrecords.equipment.custody import holder_at
from avrecords.equipment.models import Device
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.notices.services import notify
from avrecords.org.models import User
from avrecords.org.scope import can_ingest, sees_everything, unit_q
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording, TimeSource

# A start time set by hand is a camera's time: not before cameras kept one, not in the future
# (a few minutes' grace for the administrator's own clock).
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_GRACE_SECONDS = 300


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


def local_text(when: dt.datetime) -> str:
    """A time as the pages show it (the platform's zone, to the second)."""
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S")


def check_start(started_at: dt.datetime) -> dt.datetime:
    """A start time given by hand, aware and plausible, else refused in Chinese."""
    if timezone.is_naive(started_at):
        started_at = timezone.make_aware(started_at)
    if started_at < EARLIEST_START:
        raise AssignmentRefused("开始时间不能早于 2000 年")
    if started_at > timezone.now() + dt.timedelta(seconds=FUTURE_GRACE_SECONDS):
        raise AssignmentRefused("开始时间不能晚于当前时间")
    return started_at.replace(microsecond=0)


def assign(
    actor,
    recording_id: int,
    *,
    officer_id: int | None = None,
    device_id: int | None = None,
    started_at: dt.datetime | None = None,
    by_custody: bool = False,
    ip: str = "",
) -> Recording:
    """Bind a 待指派 recording. `officer_id`: the person (with `device_id`, or the device its
    name names if that person held it then); without one, `device_id` (or the device the name
    names, if `by_custody`) binds it to whoever held that device at its start time. A
    `started_at` different from the recorded one is set first, as 人工指定; given alone, it
    only corrects the time and the recording still waits. Scope first (404), then
    permission (403)."""
    Recording.objects.get_visible(actor, recording_id)
    if not can_assign(actor):
        raise Forbidden("无权指派音像记录")
    if officer_id is None and device_id is None and started_at is None and not by_custody:
        raise AssignmentRefused("请选择执法人员或设备，或填写开始时间")
    if started_at is not None:
        started_at = check_start(started_at)
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording_id)
        if recording.purged_at is not None:
            raise AssignmentConflict("该音像记录已按保存期限清除，不能指派")
        if not recording.needs_assignment:
            raise AssignmentConflict("该音像记录已确定执法人员和设备，无需指派")
        before = _facts(recording)
        retimed = started_at is not None and started_at != recording.started_at
        if retimed:
            recording.started_at = started_at
            recording.ended_at = started_at + dt.timedelta(seconds=recording.duration_seconds)
            recording.time_source = TimeSource.MANUAL
        device = _chosen_device(actor, device_id)
        if officer_id is not None:
            officer = assignable_people(actor).filter(pk=officer_id).first()
            if officer is None:
                raise AssignmentRefused("所选执法人员不存在、已停用或不在您的管辖范围内")
            device = device or _named_device(recording, officer)
        elif device is not None or by_custody:
            device, officer = _holder_of(actor, recording, device)
        else:
            officer = None
        if officer is None:  # only the time was corrected
            if not retimed:
                raise AssignmentRefused("开始时间与原记录相同，未作更改")
            _save_time(actor, recording, before, ip)
            return recording
        _bind(actor, recording, officer, device, before, ip)
    return recording


def _chosen_device(actor, device_id: int | None) -> Device | None:
    if device_id is None:
        return None
    device = assignable_devices(actor).filter(pk=device_id).first()
    if device is None:
        raise AssignmentRefused("所选设备不存在或不在您的管辖范围内")
    return device


def _holder_of(actor, recording: Recording, device: Device | None) -> tuple[Device, User]:
    """The device (chosen, or the one the name names) and who held it at the start time."""
    if device is None:
        device = recording.device or _registered(recording.device_serial)
        if device is None or not assignable_devices(actor).filter(pk=device.pk).exists():
            raise AssignmentRefused(
                "未选择设备，文件名中也没有本单位已登记的设备，无法按领用记录匹配"
            )
    when = local_text(recording.started_at)
    holder = holder_at(device, recording.started_at)
    if holder is None:
        raise AssignmentRefused(f"设备 {device.serial} 在 {when} 没有领用人，请选择执法人员")
    if not assignable_people(actor).filter(pk=holder.pk).exists():
        raise AssignmentRefused(
            f"设备 {device.serial} 在 {when} 的领用人已停用或不在您的管辖范围内，请选择执法人员"
        )
    return device, holder


def _bind(actor, recording: Recording, officer: User, device, before: dict, ip: str) -> None:
    recording.officer = officer
    recording.device = device or recording.device
    recording.unit_id = officer.unit_id  # people one may bind to all have a unit
    recording.needs_assignment = False
    recording.assignment_note = ""
    recording.save(
        update_fields=[
            "officer",
            "device",
            "unit",
            "needs_assignment",
            "assignment_note",
            "started_at",
            "ended_at",
            "time_source",
        ]
    )
    holder = holder_at(recording.device, recording.started_at) if recording.device else None
    audit.record(
        "recording.assign",
        actor=actor,
        obj=recording,
        summary=f"指派 {recording.original_name} 给 {officer.display_name}"
        + (f"（设备 {recording.device.serial}）" if recording.device else "")
        + _time_summary(recording, before),
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


def _save_time(actor, recording: Recording, before: dict, ip: str) -> None:
    recording.save(update_fields=["started_at", "ended_at", "time_source"])
    audit.record(
        "recording.start_time",
        actor=actor,
        obj=recording,
        summary=f"更正 {recording.original_name} 的开始时间{_time_summary(recording, before)}，"
        "仍待指派",
        detail={"before": before, "after": _facts(recording)},
        ip=ip,
    )
    if recording.unit_id is not None and profile_for_unit(recording.unit) is not None:
        # as at ingest: its retention follows the new time (it is only ever extended, M5)
        events.RECORDING_STORED.send(recording=recording)


def _time_summary(recording: Recording, before: dict) -> str:
    if before["time_source"] == recording.time_source and before["started_at"] == (
        recording.started_at.isoformat()
    ):
        return ""
    old = local_text(dt.datetime.fromisoformat(before["started_at"]))
    old_source = dict(TimeSource.choices).get(before["time_source"], "未知")
    return (
        f"；开始时间由 {old}（{old_source}）改为 {local_text(recording.started_at)}"
        f"（{recording.get_time_source_display()}）"
    )


def _registered(serial: str) -> Device | None:
    return Device.objects.filter(serial__iexact=serial).first() if serial else None


def _named_device(recording: Recording, officer: User) -> Device | None:
    """The device the file name names, if the chosen person held it at the recording time."""
    device = _registered(recording.device_serial)
    if device is not None and holder_at(device, recording.started_at) == officer:
        return device
    return None


def _facts(recording: Recording) -> dict:
    return {
        "officer": recording.officer_id,
        "device": recording.device_id,
        "unit": recording.unit_id,
        "note": recording.assignment_note,
        "started_at": recording.started_at.isoformat(),
        "time_source": recording.time_source,
    }
