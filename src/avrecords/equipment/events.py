"""Maintenance, repair, loss, theft and retirement of devices (E6).

Each act is a DeviceEvent with the status before and after; a loss or theft closes the open
custody (the person no longer holds it), asks the unit head to acknowledge (待办), and sends
`events.DEVICE_LOST`, on which supervision raises a violation candidate under the article of
the unit's profile (001§27(7), 004§23(7)…).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from avrecords import events
from avrecords.audit import services as audit
from avrecords.equipment.custody import CustodyError, check_when, open_custody
from avrecords.equipment.models import Custody, Device, DeviceEvent, DeviceStatus, EventKind
from avrecords.policies import approvals

# kind → (statuses it may start from, status after; None = unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    EventKind.MAINTENANCE: ((DeviceStatus.IN_SERVICE, DeviceStatus.SPARE), None),
    EventKind.REPAIR: ((DeviceStatus.IN_SERVICE, DeviceStatus.SPARE), DeviceStatus.REPAIR),
    EventKind.REPAIRED: ((DeviceStatus.REPAIR,), DeviceStatus.IN_SERVICE),
    EventKind.LOSS: ((DeviceStatus.IN_SERVICE, DeviceStatus.SPARE), DeviceStatus.LOST),
    EventKind.THEFT: ((DeviceStatus.IN_SERVICE, DeviceStatus.SPARE), DeviceStatus.LOST),
    EventKind.FOUND: ((DeviceStatus.LOST,), DeviceStatus.SPARE),
    EventKind.RETIRE: (
        (DeviceStatus.IN_SERVICE, DeviceStatus.SPARE, DeviceStatus.REPAIR),
        DeviceStatus.RETIRED,
    ),
}
NEEDS_RETURN = {EventKind.REPAIR, EventKind.RETIRE}  # the device must be back in store first
LOSSES = {EventKind.LOSS, EventKind.THEFT}


@transaction.atomic
def record_event(
    actor,
    device: Device,
    kind: str,
    *,
    note: str = "",
    vendor: str = "",
    when: dt.datetime | None = None,
    person=None,
) -> DeviceEvent:
    """Record one event; refused (CustodyError, nothing changed) when the device's status or
    custody does not allow it."""
    if kind not in TRANSITIONS:
        raise CustodyError("未知的设备事项")
    when = when or timezone.now()
    check_when(when, "事项")
    device = Device.objects.select_for_update().get(pk=device.pk)
    allowed, after = TRANSITIONS[kind]
    label = EventKind(kind).label
    if device.status not in allowed:
        raise CustodyError(
            f"设备 {device.serial} 当前状态为“{device.get_status_display()}”，不能登记“{label}”"
        )
    custody = open_custody(device)
    _check_order(device, custody, when, label)
    if kind in NEEDS_RETURN and custody is not None:
        raise CustodyError(
            f"设备 {device.serial} 正由 {custody.holder.display_name} 领用，须先归还再{label}"
        )
    if kind in LOSSES and len(note.strip()) < 5:
        raise CustodyError("请写明遗失或被盗的经过（不少于5个字）")
    if kind in LOSSES and person is None and custody is not None:
        person = custody.holder
    event = DeviceEvent.objects.create(
        device=device,
        kind=kind,
        at=when,
        operator=actor,
        person=person,
        status_before=device.status,
        status_after=after or device.status,
        vendor=vendor.strip()[:100],
        note=note.strip()[:500],
    )
    if after:
        Device.objects.filter(pk=device.pk).update(status=after)
    if kind in LOSSES and custody is not None:
        _close_for_loss(custody, event, actor)
    audit.record(
        f"device.{kind}",
        actor=actor,
        obj=device,
        summary=f"{device.serial} {label}" + (f"：{event.note}" if event.note else ""),
        detail={"event": event.pk, "before": event.status_before, "after": event.status_after},
    )
    if kind in LOSSES:
        events.DEVICE_LOST.send(device=device, event=event, actor=actor)
    return event


def _check_order(device: Device, custody, when: dt.datetime, label: str) -> None:
    """An event cannot predate the device, its current custody or its last recorded event."""
    local = timezone.localtime(when)
    if device.purchase_date and local.date() < device.purchase_date:
        raise CustodyError(f"{label}时间早于设备购置日期（{device.purchase_date:%Y-%m-%d}）")
    if custody is not None and when < custody.started_at:
        since = timezone.localtime(custody.started_at)
        raise CustodyError(f"{label}时间早于当前领用时间（{since:%Y-%m-%d %H:%M}）")
    last = device.events.order_by("-at").values_list("at", flat=True).first()
    if last is not None and when < last:
        raise CustodyError(
            f"{label}时间早于该设备上一次登记的事项（{timezone.localtime(last):%Y-%m-%d %H:%M}）"
        )


def _close_for_loss(custody: Custody, event: DeviceEvent, actor) -> None:
    """The holder no longer has the device: the custody ends at the loss, its accessories are
    written off with it (the loss report, not a return, accounts for them)."""
    Custody.objects.filter(pk=custody.pk).update(
        ended_at=event.at,
        returned_by=actor,
        return_condition=f"{event.get_kind_display()}（见设备事项 #{event.pk}）",
        missing_accessories=[],
    )


def acknowledge_step(event: DeviceEvent) -> approvals.Step:
    """Acknowledging a loss report, as the approvals engine sees it: the profile's
    `equipment.loss.acknowledged_by` (the unit head, or the leader above), never the person
    who lost the device (rules `deciding.loss`)."""
    return approvals.Step(
        unit=event.device.unit, decision="loss.acknowledge", concerned_id=event.person_id
    )


def pending_acknowledgements(user):
    """Loss and theft reports over the user's units that wait for the unit head (待办)."""

    reports = DeviceEvent.objects.filter(
        kind__in=LOSSES, acknowledged_at__isnull=True, device__in=Device.objects.visible_to(user)
    ).select_related("device", "device__unit", "person", "operator")
    return [e for e in reports if approvals.may_decide(user, acknowledge_step(e))]


@transaction.atomic
def acknowledge(actor, event: DeviceEvent) -> DeviceEvent:
    """The unit head has read the loss report (the notification of E6)."""
    event = DeviceEvent.objects.select_for_update().get(pk=event.pk)
    if event.kind not in LOSSES:
        raise CustodyError("只有遗失、被盗报告需要单位负责人确认")
    if event.acknowledged_at is not None:
        raise CustodyError("该报告已确认")
    if why := approvals.why_not(actor, acknowledge_step(event)):
        # not his role or scope: who may; otherwise the engine's reason (his own report)
        raise CustodyError("只有单位负责人（或上级领导）可以确认遗失报告" if why.standing else why)
    event.acknowledged_by = actor
    event.acknowledged_at = timezone.now()
    event.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit.record(
        "device.loss_acknowledge",
        actor=actor,
        obj=event.device,
        summary=f"{event.device.serial} {event.get_kind_display()}报告已阅",
        detail={"event": event.pk},
    )
    return event
