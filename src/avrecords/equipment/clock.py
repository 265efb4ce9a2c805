"""Clock drift found at ingest (E7; 000§10, 001§10, 002§7, 003§7, 004§11).

A device sets each file's times from its own clock. Two signs that clock is wrong, judged
against the unit's profile (`equipment.clock`; a unit without a profile is not checked):

- AHEAD: a file ends after the moment the station received it, by more than the tolerance.
  One open flag per device and batch, kept at the largest offset seen.
- STALE: at a station dump, the newest file of a device ends more than `stale_days` before
  the docking (the batch's start) — the clock was probably reset to its factory date.
  Uploads are not judged this way: uploading an old file is normal.

Nothing is shifted: recordings keep their device times and the flag stores both times.
`offset_seconds` is device time minus station time (positive: the device clock is fast).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.equipment.access import device_in_unit_scope, visible_devices
from avrecords.equipment.models import ClockFlag, Device
from avrecords.org.scope import can_manage_equipment, recording_shown
from avrecords.policies.schema import ClockCheck
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import IngestBatch, IngestSource, Recording

RESOLUTION_MAX_CHARS = 300
INT_MAX = 2**31 - 1  # the offset column is a 32-bit integer; a clock at 1970 still fits


class FlagNotAllowed(PermissionDenied):
    """The user may see the flag but not clear it (views answer 403)."""


class FlagError(ValueError):
    """A flag that cannot be resolved as asked; the message is Chinese."""


def _rule(device: Device) -> ClockCheck | None:
    profile = profile_for_unit(device.unit)
    return profile.equipment.clock if profile is not None else None


def _seconds(delta: dt.timedelta) -> int:
    return max(-INT_MAX, min(INT_MAX, round(delta.total_seconds())))


def describe_offset(seconds: int) -> str:
    """“快 10 分 0 秒” / “慢 40 天 3 小时”: how far the device clock was off."""
    word = "快" if seconds >= 0 else "慢"
    left = abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{word} {days} 天 {hours} 小时"
    if hours:
        return f"{word} {hours} 小时 {minutes} 分"
    return f"{word} {minutes} 分 {secs} 秒"


def _audit_flag(flag: ClockFlag, *, raised: bool) -> None:
    audit.record(
        "device.clock_flag",
        actor=None,
        obj=flag.device,
        summary=f"{flag.device.serial} {flag.get_kind_display()}：{describe_offset(flag.offset_seconds)}"
        + ("" if raised else "（同批次更大偏差，已更新）"),
        detail={
            "flag": flag.pk,
            "kind": flag.kind,
            "batch": flag.batch_id,
            "recording": flag.recording_id,
            "device_time": flag.device_time.isoformat(),
            "station_time": flag.station_time.isoformat(),
            "offset_seconds": flag.offset_seconds,
            "tolerance_seconds": flag.tolerance_seconds,
        },
    )


def check_recording(
    recording: Recording, *, station_time: dt.datetime, batch: IngestBatch
) -> ClockFlag | None:
    """After a file is recorded: raise or raise the AHEAD flag of its device in this batch."""
    if recording.device_id is None or batch.source == IngestSource.DEMO:
        return None
    device = recording.device
    rule = _rule(device)
    if rule is None:
        return None
    offset = _seconds(recording.ended_at - station_time)
    if offset <= rule.tolerance_seconds:
        return None
    with transaction.atomic():
        flag = (
            ClockFlag.objects.select_for_update()
            .filter(device=device, batch=batch, kind=ClockFlag.Kind.AHEAD, resolved_at=None)
            .first()
        )
        if flag is not None and flag.offset_seconds >= offset:
            return flag
        raised = flag is None
        flag = flag or ClockFlag(device=device, batch=batch, kind=ClockFlag.Kind.AHEAD)
        flag.recording = recording
        flag.device_time = recording.ended_at
        flag.station_time = station_time
        flag.offset_seconds = offset
        flag.tolerance_seconds = rule.tolerance_seconds
        flag.cite = rule.cite[:100]
        flag.save()
        _audit_flag(flag, raised=raised)
    return flag


def check_batch(batch: IngestBatch) -> list[ClockFlag]:
    """At the end of a station dump: a STALE flag for each device whose newest file ends
    more than the profile's stale_days before the docking. Safe to run twice."""
    if batch.source != IngestSource.STATION:
        return []
    flags = []
    newest = (
        Recording.objects.filter(batch=batch, device__isnull=False)
        .values("device")
        .annotate(newest=Max("ended_at"))
        .order_by("device")
    )
    for row in newest:
        device = Device.objects.select_related("unit").get(pk=row["device"])
        rule = _rule(device)
        if rule is None or batch.started_at - row["newest"] <= dt.timedelta(days=rule.stale_days):
            continue
        with transaction.atomic():
            if ClockFlag.objects.filter(
                device=device, batch=batch, kind=ClockFlag.Kind.STALE
            ).exists():
                continue
            recording = (
                Recording.objects.filter(batch=batch, device=device).order_by("-ended_at").first()
            )
            flag = ClockFlag.objects.create(
                device=device,
                batch=batch,
                kind=ClockFlag.Kind.STALE,
                recording=recording,
                device_time=row["newest"],
                station_time=batch.started_at,
                offset_seconds=_seconds(row["newest"] - batch.started_at),
                tolerance_seconds=_seconds(dt.timedelta(days=rule.stale_days)),
                cite=rule.cite[:100],
            )
            _audit_flag(flag, raised=True)
        flags.append(flag)
    return flags


# --- reading and clearing ---------------------------------------------------------------
def visible_flags(user) -> QuerySet[ClockFlag]:
    """Flags of the devices the user may see (X2); a flag's recording is named only to those
    who may see it (`recording_shown`, M9)."""
    return (
        ClockFlag.objects.filter(device__in=visible_devices(user))
        .select_related("device", "device__unit", "resolved_by", "recording")
        .annotate(recording_shown=recording_shown(user))
    )


def open_flags(device: Device) -> QuerySet[ClockFlag]:
    return device.clock_flags.filter(resolved_at=None).order_by("-created_at", "-pk")


def may_resolve(user, flag: ClockFlag) -> bool:
    return can_manage_equipment(user) and device_in_unit_scope(user, flag.device)


def resolve_flag(actor, flag: ClockFlag, note: str) -> ClockFlag:
    """An equipment administrator has checked and set the clock; audited `device.clock_resolve`."""
    if not may_resolve(actor, flag):
        raise FlagNotAllowed("只有本单位设备管理员可以处理时钟偏差")
    note = (note or "").strip()
    if not note:
        raise FlagError("请填写处理说明（如：已按北京时间校准设备时钟）")
    if len(note) > RESOLUTION_MAX_CHARS:
        raise FlagError(f"处理说明最多 {RESOLUTION_MAX_CHARS} 个字符")
    with transaction.atomic():
        flag = ClockFlag.objects.select_for_update().select_related("device").get(pk=flag.pk)
        if flag.resolved_at is not None:
            raise FlagError("该时钟偏差已处理，不能重复处理")
        flag.resolved_by = actor
        flag.resolved_at = timezone.now()
        flag.resolution = note
        flag.save(update_fields=["resolved_by", "resolved_at", "resolution"])
        audit.record(
            "device.clock_resolve",
            actor=actor,
            obj=flag.device,
            summary=f"{flag.device.serial} 时钟偏差已处理：{note}",
            detail={"flag": flag.pk, "kind": flag.kind, "offset_seconds": flag.offset_seconds},
        )
    return flag


__all__ = [
    "check_recording",
    "check_batch",
    "visible_flags",
    "open_flags",
    "may_resolve",
    "resolve_flag",
    "describe_offset",
    "FlagError",
    "FlagNotAllowed",
]
