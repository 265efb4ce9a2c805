"""/api/v1/stations (issue 19 §1, §4): the stations with their state, for those who see the
units' equipment (`permissions.can_view_stations`, rows through `Station.objects.visible_to`);
registering, changing, retiring and the token for system administrators, with the same
services and refusals as the pages. A station outside one's sight is 404 before any
permission is asked, as a missing one. The secret is in the answer of create and rotate-token
only, once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema, Status

from avrecords.equipment.models import Station
from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Invalid as Refused
from avrecords.lib.refusals import NotFound, fields_named, require
from avrecords.org.models import Unit, User
from avrecords.org.tokens import prefix_of
from avrecords.stations import health
from avrecords.stations import services as svc
from avrecords.stations.permissions import can_view_stations

router = Router(tags=["采集站"])

FORBIDDEN_VIEW = "无权查看采集站"
# The service's field names as this API names them.
API_FIELDS = {"unit": "unit_id", "responsible": "responsible_id"}


class BadgeOut(Schema):
    label: str  # 在线, 离线（自 12-05 14:20）, 队列积压 36 个文件, 磁盘将满（剩余 8%）…
    tone: str  # ok, warn, bad, or "" (retired)


class StationOut(Schema):
    id: int
    name: str
    unit_id: int
    unit: str
    location: str
    responsible_id: int | None
    responsible: str | None
    note: str
    created_at: dt.datetime
    retired: bool
    retired_at: dt.datetime | None
    token_prefix: str | None  # the live token's first characters, None without one
    token_last_used_at: dt.datetime | None
    online: bool
    states: list[BadgeOut]
    last_seen_at: dt.datetime | None
    agent_version: str
    free_disk_bytes: int | None
    total_disk_bytes: int | None
    queue_files: int
    queue_bytes: int
    cameras: list[str]
    clock_offset_seconds: float | None
    last_error: str
    uploaded_today_files: int
    uploaded_today_bytes: int


class CreatedOut(StationOut):
    secret: str  # shown this once; only its SHA-256 is kept


class SecretOut(Schema):
    id: int
    token_prefix: str
    secret: str  # shown this once


class StationIn(Schema):
    name: str
    unit_id: int
    location: str = ""
    responsible_id: int | None = None
    note: str = ""


class StationPatch(Schema):
    """Only the fields sent change; `responsible_id: null` leaves it without a 负责人."""

    name: str | None = None
    unit_id: int | None = None
    location: str | None = None
    responsible_id: int | None = None
    note: str | None = None


def _unit(user, unit_id) -> Unit:
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise Refused(fields={"unit_id": "所选单位不存在或不在您的管理范围内"})
    return unit


def _person(user, person_id) -> User | None:
    if person_id is None:
        return None
    person = User.objects.visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise Refused(fields={"responsible_id": "所选负责人不存在或不在您的管理范围内"})
    return person


def _station(request, station_id: int) -> Station:
    """A station in the user's sight (the scope rule), else 404 as a missing one."""
    station = (
        Station.objects.visible_to(request.user)
        .select_related("unit", "responsible", "token")
        .filter(pk=station_id)
        .first()
    )
    if station is None:
        raise NotFound()
    return station


def _out(
    station: Station,
    now=None,
    state: health.Health | None = None,
    today: health.Today | None = None,
) -> dict:
    """The station as the API shows it; a list passes the states and uploads it read for all
    its stations at once (issue 22 §4)."""
    now = now or timezone.now()
    if state is None:
        state = health.state_of(station, now=now)
    if today is None:
        today = health.uploaded_today(station, now=now)
    token = station.token
    live = token is not None and not token.is_revoked and not token.is_expired
    return {
        "id": station.pk,
        "name": station.name,
        "unit_id": station.unit_id,
        "unit": station.unit.name,
        "location": station.location,
        "responsible_id": station.responsible_id,
        "responsible": station.responsible.display_name if station.responsible_id else None,
        "note": station.note,
        "created_at": station.created_at,
        "retired": station.retired_at is not None,
        "retired_at": station.retired_at,
        "token_prefix": token.prefix if live else None,
        "token_last_used_at": token.last_used_at if token is not None else None,
        "online": state.online,
        "states": [{"label": b.label, "tone": b.tone} for b in state.badges],
        "last_seen_at": state.last_seen_at,
        "agent_version": state.agent_version,
        "free_disk_bytes": state.free_disk_bytes,
        "total_disk_bytes": state.total_disk_bytes,
        "queue_files": state.queue_files,
        "queue_bytes": state.queue_bytes,
        "cameras": state.cameras,
        "clock_offset_seconds": state.clock_offset_seconds,
        "last_error": state.last_error,
        "uploaded_today_files": today.files,
        "uploaded_today_bytes": today.bytes,
    }


@router.get(
    "/stations",
    response={200: list[StationOut], 401: Error, 403: Error},
    summary="采集站及其状态（在用的在前，已停用的在后）",
)
def list_stations(request):
    require(can_view_stations(request.user), FORBIDDEN_VIEW)
    now = timezone.now()
    stations = Station.objects.visible_to(request.user).select_related(
        "unit", "responsible", "token"
    )
    ordered = sorted(stations, key=lambda s: (s.retired_at is not None, s.unit.path, s.name))
    states = health.states_of(ordered, now=now)
    todays = health.uploaded_today_of(ordered, now=now)
    return [_out(s, now, states[s.pk], todays[s.pk]) for s in ordered]


@router.post(
    "/stations",
    response={201: CreatedOut, 401: Error, 403: Error, 422: Invalid},
    summary="登记采集站（返回的令牌仅显示这一次）",
)
def create_station(request, body: StationIn):
    require(svc.can_manage_stations(request.user), svc.FORBIDDEN)
    with fields_named(API_FIELDS):
        station, secret = svc.register(
            request.user,
            name=body.name,
            unit=_unit(request.user, body.unit_id),
            location=body.location,
            responsible=_person(request.user, body.responsible_id),
            note=body.note,
            ip=client_ip(request),
        )
    return Status(201, {**_out(station), "secret": secret})


@router.get(
    "/stations/{int:station_id}",
    response={200: StationOut, 401: Error, 403: Error, 404: Error},
    summary="一个采集站及其状态",
)
def get_station(request, station_id: int):
    return _out(_station(request, station_id))


@router.patch(
    "/stations/{int:station_id}",
    response={200: StationOut, 401: Error, 403: Error, 404: Error, 422: Invalid},
    summary="修改采集站（名称、单位、安装位置、负责人、备注）",
)
def change_station(request, station_id: int, body: StationPatch):
    station = _station(request, station_id)
    require(svc.can_manage_stations(request.user), svc.FORBIDDEN)
    sent = body.model_dump(exclude_unset=True)
    given = {k: sent[k] for k in ("name", "location", "note") if k in sent}
    with fields_named(API_FIELDS):
        if "unit_id" in sent:
            given["unit"] = _unit(request.user, sent["unit_id"])
        if "responsible_id" in sent:
            given["responsible"] = _person(request.user, sent["responsible_id"])
        for name in ("name", "location", "note"):
            if name in given and given[name] is None:
                given[name] = ""
        station = svc.update(request.user, station, ip=client_ip(request), **given)
    return _out(station)


@router.post(
    "/stations/{int:station_id}/retire",
    response={200: StationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="停用采集站（其令牌同时撤销；有文件正在上传时拒绝）",
)
def retire_station(request, station_id: int):
    station = _station(request, station_id)
    return _out(svc.retire(request.user, station, ip=client_ip(request)))


@router.post(
    "/stations/{int:station_id}/reinstate",
    response={200: StationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="恢复已停用的采集站（须再更换令牌）",
)
def reinstate_station(request, station_id: int):
    station = _station(request, station_id)
    return _out(svc.reinstate(request.user, station, ip=client_ip(request)))


@router.post(
    "/stations/{int:station_id}/rotate-token",
    response={200: SecretOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="更换采集站令牌（原令牌即时作废；新令牌仅显示这一次）",
)
def rotate_token(request, station_id: int):
    station = _station(request, station_id)
    secret = svc.rotate_token(request.user, station, ip=client_ip(request))
    return {"id": station.pk, "token_prefix": prefix_of(secret), "secret": secret}


@router.post(
    "/stations/{int:station_id}/revoke-token",
    response={200: StationOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="撤销采集站令牌（此后该站的请求一律拒绝，直至更换令牌）",
)
def revoke_token(request, station_id: int):
    station = _station(request, station_id)
    return _out(svc.revoke_token(request.user, station, ip=client_ip(request)))
