"""Bind a new recording to its device, officer and unit, and pick its start time (M1, E2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from avrecords.equipment.custody import holder_at
from avrecords.equipment.models import Device
from avrecords.org.models import User
from avrecords.recordings.media.probe import ProbeResult
from avrecords.recordings.models import TimeSource
from avrecords.recordings.naming import NameFields


@dataclass
class Binding:
    """Who and what a recording belongs to, and what an administrator still has to assign."""

    started_at: dt.datetime
    time_source: str
    device: Device | None
    officer: User | None
    unit_id: int | None
    device_serial: str
    officer_no: str
    segment_no: str
    notes: list[str]

    @property
    def needs_assignment(self) -> bool:
        return self.device is None or self.officer is None


def choose_start(
    name: NameFields | None, probe: ProbeResult, mtime: dt.datetime
) -> tuple[dt.datetime, str]:
    if name is not None:
        return name.started_at, TimeSource.FILENAME
    if probe.created_at is not None:
        return probe.created_at, TimeSource.CONTAINER
    return mtime, TimeSource.FILE_MTIME


def bind(
    name: NameFields | None,
    probe: ProbeResult,
    mtime: dt.datetime,
    *,
    fallback_unit_id,
    uploader=None,
) -> Binding:
    started_at, time_source = choose_start(name, probe, mtime)
    notes: list[str] = []
    device = officer = None
    serial = name.device_serial if name else ""
    officer_no = name.officer_no if name else ""
    if serial:
        device = Device.objects.filter(serial__iexact=serial).select_related("unit").first()
        if device is None:
            notes.append(f"未登记的设备 {serial}")
    else:
        notes.append("文件名中没有设备序号")
    if device is not None:
        officer = holder_at(device, started_at)
        if officer is None:
            notes.append(f"设备 {device.serial} 在录制时没有领用人")
    if officer is None and officer_no:
        officer = User.objects.filter(officer_no=officer_no, is_active=True).first()
        if officer is None:
            notes.append(f"未登记的人员编号 {officer_no}")
    elif (
        officer is not None
        and officer_no
        and officer.officer_no
        and officer.officer_no != officer_no
    ):
        notes.append(f"文件名人员编号 {officer_no} 与领用人 {officer.display_name} 不一致")
    if officer is None and uploader is not None and getattr(uploader, "role", "") == "officer":
        officer = uploader
    if officer is not None and officer.unit_id:
        unit_id = officer.unit_id
    elif device is not None:
        unit_id = device.unit_id
    else:
        unit_id = fallback_unit_id
    return Binding(
        started_at,
        time_source,
        device,
        officer,
        unit_id,
        serial,
        officer_no,
        name.segment_no if name else "",
        notes,
    )
