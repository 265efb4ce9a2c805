"""/api/v1/station/… (issue 19 §2, §4): what a station's agent asks, with the station's own
token (`avrecords.api.StationAuth`, mounted there; `request.auth` is the `Station`).

- `GET  me` — who it is and how to behave: heartbeat interval, part size, largest file.
- `POST heartbeat` — its state (kept, not audited one by one; `heartbeats.py`).
- `POST cameras/check` — may it import from this docked camera? 403 with the reason if the
  serial is not registered to its agency (stored, audited, 待办; `cameras.py`).
Each act of a station is audited under its name ("采集站：<名称>")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.http import client_ip
from avrecords.stations import cameras, heartbeats

router = Router(tags=["采集站程序"])

HEARTBEAT_SECONDS = 60  # well inside the shortest silence a profile may set (1 minute × 2)
PART_BYTES = 8 * 1024 * 1024  # the resumable upload's part: at most one re-sent after a cut
BYTES_MAX = 2**62  # bounds every byte count a station sends


class MeOut(Schema):
    name: str
    unit: str
    server_time: dt.datetime
    heartbeat_seconds: int
    part_bytes: int
    max_upload_bytes: int


class HeartbeatIn(Schema):
    version: str = Field("", max_length=heartbeats.VERSION_MAX_CHARS)
    free_disk_bytes: int | None = Field(None, ge=0, le=BYTES_MAX)
    total_disk_bytes: int | None = Field(None, ge=0, le=BYTES_MAX)
    queue_files: int = Field(0, ge=0, le=10_000_000)
    queue_bytes: int = Field(0, ge=0, le=BYTES_MAX)
    cameras: list[str] = Field(default_factory=list, max_length=heartbeats.CAMERAS_MAX)
    clock_offset_seconds: float | None = Field(None, ge=-1e9, le=1e9)
    last_error: str = Field("", max_length=heartbeats.ERROR_MAX_CHARS)


class HeartbeatOut(Schema):
    server_time: dt.datetime


class CameraIn(Schema):
    serial: str = Field(min_length=1, max_length=cameras.SERIAL_MAX_CHARS)
    camera_time: dt.datetime | None = None  # the camera's own clock, when the agent read it


class CameraOut(Schema):
    serial: str
    device_no: str  # the ledger's asset number, else its serial
    holder: str | None  # who holds it now
    holder_officer_no: str | None  # his 执法记录编号
    clock_offset_seconds: float | None  # camera minus platform, when camera_time was sent
    registered: bool


@router.get("/me", response={200: MeOut, 401: Error}, summary="本采集站信息与上传参数")
def me(request):
    station = request.auth
    return {
        "name": station.name,
        "unit": station.unit.name,
        "server_time": timezone.now(),
        "heartbeat_seconds": HEARTBEAT_SECONDS,
        "part_bytes": PART_BYTES,
        "max_upload_bytes": settings.AVRECORDS_UPLOAD_MAX_BYTES,
    }


@router.post(
    "/heartbeat",
    response={200: HeartbeatOut, 401: Error, 422: Invalid},
    summary="心跳：报告版本、磁盘、队列、接入设备、时钟偏差",
)
def heartbeat(request, body: HeartbeatIn):
    cameras_seen = tuple(s.strip()[: cameras.SERIAL_MAX_CHARS] for s in body.cameras if s.strip())
    beat = heartbeats.Beat(
        version=body.version.strip(),
        free_disk_bytes=body.free_disk_bytes,
        total_disk_bytes=body.total_disk_bytes,
        queue_files=body.queue_files,
        queue_bytes=body.queue_bytes,
        cameras=cameras_seen,
        clock_offset_seconds=body.clock_offset_seconds,
        last_error=body.last_error.strip(),
    )
    heartbeats.record_heartbeat(request.auth, beat, ip=client_ip(request))
    return {"server_time": timezone.now()}


@router.post(
    "/cameras/check",
    response={200: CameraOut, 401: Error, 403: Error, 422: Invalid},
    summary="接入的执法记录仪是否已在本单位登记（未登记的拒绝并报告管理员）",
)
def check_camera(request, body: CameraIn):
    found = cameras.check_camera(
        request.auth, body.serial, camera_time=body.camera_time, ip=client_ip(request)
    )
    if not found.registered:
        return Status(403, {"detail": found.message})
    device = found.device
    return {
        "serial": device.serial,
        "device_no": device.asset_no or device.serial,
        "holder": found.holder,
        "holder_officer_no": found.holder_officer_no,
        "clock_offset_seconds": found.clock_offset_seconds,
        "registered": True,
    }
