"""Bind a new recording to its device, officer and unit, and pick its start time (M1, E2).

Who the recording belongs to depends on who brought the file (issue 15):

- A station import (`avrecords ingest --station`, and the demo) binds by the custody
  records: the device's holder at the recording time, else the active person whose officer
  number is in the name, else the station's operator if he is an officer.
- An upload by an officer (page or API) is his own: it is bound to him when the name agrees
  with his custody (his device at that time, his officer number) or names nothing. A name
  naming another person's device, a device nobody held, an unregistered device, or another
  person's officer number binds it to nobody: it waits (待指派) for an administrator, the
  conflict said in Chinese, and the uploader still sees it (`org.scope.recording_q`). Nobody
  is answerable for it, so the compliance engine raises nothing until it is bound.
- An upload by an administrator is not his own recording: it binds by custody like a
  station, except that a name the custody records contradict (an officer number that is not
  the holder's, a device nobody held at that time) waits for an administrator instead of
  being bound to a guess.

A recording in conflict keeps no device either: the device is a claim of the name as much as
the person is, and a device's clock and usage checks (E7) should not count a file its holder
may never have made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from avrecords.equipment.custody import holder_at
from avrecords.equipment.models import Device
from avrecords.org.models import Role, User
from avrecords.org.scope import can_ingest
from avrecords.recordings import start_time
from avrecords.recordings.media.probe import ProbeResult
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
    name: NameFields | None,
    probe: ProbeResult,
    mtime: dt.datetime,
    camera_clock_offset_seconds: float | None = None,
) -> tuple[dt.datetime, str]:
    """Name, container metadata, station clock, mtime (`recordings.start_time`)."""
    chosen = start_time.choose(
        name.started_at if name else None,
        probe.created_at,
        mtime,
        camera_clock_offset_seconds=camera_clock_offset_seconds,
    )
    return chosen.at, chosen.source


def bind(
    name: NameFields | None,
    probe: ProbeResult,
    mtime: dt.datetime,
    *,
    fallback_unit_id,
    uploader=None,
    uploaded: bool = False,
    camera_clock_offset_seconds: float | None = None,
    reported_serial: str = "",
) -> Binding:
    """`uploaded`: the file came through the upload page or API from `uploader` (who may be
    an officer or an administrator); otherwise from a station, `uploader` its operator.
    `camera_clock_offset_seconds`: how far the camera's clock was ahead of the station's,
    as a station upload reports it (issue 19 §5). `reported_serial`: the serial of the camera
    the station read the file from (its device file, checked against the ledger when it was
    docked): the device when the file's name names none, so a camera that writes plain names
    (VID_0001.MP4) is still bound by its custody instead of waiting for assignment."""
    started_at, time_source = choose_start(name, probe, mtime, camera_clock_offset_seconds)
    serial = (name.device_serial if name else "") or reported_serial.strip()
    officer_no = name.officer_no if name else ""
    device = Device.objects.filter(serial__iexact=serial).first() if serial else None
    if uploaded and uploader is not None and not can_ingest(uploader):
        device, officer, notes = _by_uploader(serial, device, officer_no, started_at, uploader)
    else:
        device, officer, notes = _by_custody(
            serial, device, officer_no, started_at, uploader, strict=uploaded
        )
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


def _by_uploader(serial, device, officer_no, started_at, uploader):
    """An officer's own upload: his, unless the name says it is someone else's."""
    who = uploader.display_name
    conflicts: list[str] = []
    if serial and device is None:
        conflicts.append(f"文件名中的设备 {serial} 未登记，无法确认由上传人 {who} 领用")
    elif device is not None:
        holder = holder_at(device, started_at)
        if holder is None:
            conflicts.append(
                f"文件名中的设备 {device.serial} 录制时无人领用，不在上传人 {who} 名下"
            )
        elif holder.pk != uploader.pk:
            conflicts.append(
                f"文件名中的设备 {device.serial} 录制时由 {holder.display_name} 领用，"
                f"不在上传人 {who} 名下"
            )
    if conflict := number_conflict(officer_no, uploader, "上传人"):
        conflicts.append(conflict)
    if conflicts:
        return None, None, conflicts
    return device, uploader, [] if serial else ["文件名中没有设备序号"]


def _by_custody(serial, device, officer_no, started_at, operator, *, strict: bool):
    """By the custody records; `strict` (an administrator's upload) turns a contradiction
    into 待指派 where a station import keeps its best reading of the name and a note."""
    notes: list[str] = []
    officer = None
    if not serial:
        notes.append("文件名中没有设备序号")
    elif device is None:
        notes.append(f"未登记的设备 {serial}")
    if device is not None:
        officer = holder_at(device, started_at)
        if officer is None:
            notes.append(f"设备 {device.serial} 在录制时没有领用人")
            if strict:
                return None, None, notes + _named_person(officer_no)
        elif conflict := number_conflict(officer_no, officer, "领用人"):
            if strict:
                return None, None, [conflict]
            notes.append(conflict)
    if officer is None and officer_no:
        officer = User.objects.filter(officer_no=officer_no, is_active=True).first()
        if officer is None:
            notes.append(f"未登记的人员编号 {officer_no}")
    if officer is None and operator is not None and getattr(operator, "role", "") == Role.OFFICER:
        officer = operator
    return device, officer, notes


def number_conflict(officer_no: str, person: User, label: str) -> str | None:
    """Why the officer number in a file name is not `person`'s, or None if it may be."""
    if not officer_no or officer_no == person.officer_no:
        return None
    other = User.objects.filter(officer_no=officer_no).exclude(pk=person.pk).first()
    if other is not None:
        return (
            f"文件名中的人员编号 {officer_no} 属于 {other.display_name}，"
            f"不是{label} {person.display_name}"
        )
    if person.officer_no:
        return (
            f"文件名中的人员编号 {officer_no} 与{label} {person.display_name} 的人员编号 "
            f"{person.officer_no} 不一致"
        )
    return None  # an unregistered number, and the person has none to compare it with


def _named_person(officer_no: str) -> list[str]:
    person = User.objects.filter(officer_no=officer_no).first() if officer_no else None
    if person is None:
        return [f"未登记的人员编号 {officer_no}"] if officer_no else []
    return [f"不按文件名中的人员编号 {officer_no} 指派给 {person.display_name}，须管理员确认"]
