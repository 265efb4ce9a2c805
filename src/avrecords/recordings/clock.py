"""Clock drift found at ingest (E7; 000§10, 001§10, 002§7, 003§7, 004§11).

A device sets each file's times from its own clock. Two signs that clock is wrong, judged
against the rule `equipment.clock` of the unit's profile (a unit without one is not checked):

- AHEAD: a file ends after the moment the station received it, by more than the tolerance.
  One open flag per device and batch, kept at the largest offset seen.
- STALE: at a station dump, the newest file of a device ends more than `stale_days` before
  the docking (the batch's start) — the clock was probably reset to its factory date.
  Uploads are not judged this way: uploading an old file is normal.

The checks read recordings and their batch, so they live here, in the recordings layer; the
flag is the device's (`equipment.models.ClockFlag`), read and cleared in `equipment.clock`.
Nothing is shifted: recordings keep their device times and the flag stores both times.
`offset_seconds` is device time minus station time (positive: the device clock is fast).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max

from avrecords.audit import services as audit
from avrecords.equipment.clock import describe_offset
from avrecords.equipment.models import ClockFlag, Device
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import IngestBatch, IngestSource, Recording

if TYPE_CHECKING:
    from avrecords.policies.schema import ClockCheck

INT_MAX = 2**31 - 1  # the offset column is a 32-bit integer; a clock at 1970 still fits


def _rule(device: Device) -> ClockCheck | None:
    profile = profile_for_unit(device.unit)
    return profile.equipment.clock if profile is not None else None


def _seconds(delta: dt.timedelta) -> int:
    return max(-INT_MAX, min(INT_MAX, round(delta.total_seconds())))


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
