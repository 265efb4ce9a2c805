"""Registering and keeping collection stations (issue 19 §1): the one place a station is made,
changed, retired, reinstated or given a credential, for the pages, the API and the commands.

A station acts with its own token (an `org.ApiToken` without a person, `Station.token`), never
a person's password: the secret is returned once by `register` and `rotate_token` and only its
SHA-256 kept (`org.tokens`). Who may: system administrators (`permissions.can_manage_stations`);
the station's responsible person and they record how a refused camera was dealt with. Every act
writes one audit entry on the station with before and after, in the act's transaction.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.equipment.models import Station
from avrecords.lib.refusals import Conflict, Invalid, require
from avrecords.org.models import ApiToken, Role, Unit, User
from avrecords.org.scope import in_unit_scope
from avrecords.org.tokens import digest_of, new_secret, prefix_of
from avrecords.stations.models import CameraRefusal, IssuedToken
from avrecords.stations.permissions import (  # noqa: F401 (may_handle_refusals: for the pages)
    can_manage_stations,
    may_handle_refusals,
)

FORBIDDEN = "无权管理采集站（仅限系统管理员）"
NAME_MAX_CHARS = 100
LOCATION_MAX_CHARS = 200
NOTE_MAX_CHARS = 500
HANDLING_NOTE_MAX_CHARS = 300
# Who may be a station's 负责人: its unit's 设备及音像资料管理员 (or one above it), or a
# system administrator.
RESPONSIBLE_ROLES = (Role.ADMIN, Role.SYSADMIN)
# A resumable upload still open (recordings.ResumableUpload, issue 19 §3) holds a station back.
OPEN_UPLOAD_STATES = ("receiving", "ingesting")


def snapshot(station: Station) -> dict:
    """The station as its audit entries record it (never the secret)."""
    token = station.token
    return {
        "name": station.name,
        "unit": station.unit.name if station.unit_id else None,
        "location": station.location,
        "responsible": station.responsible.display_name if station.responsible_id else None,
        "note": station.note,
        "retired_at": station.retired_at.isoformat() if station.retired_at else None,
        "token": token.prefix if token is not None and not token.is_revoked else None,
    }


# --- checking what is asked ---------------------------------------------------------------


def _text(fields: dict, errors: dict, name: str, value, limit: int, *, required=False) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = "请填写采集站名称（如“一中队采集站”）"
    elif len(value) > limit:
        errors[name] = f"最多 {limit} 个字"
    fields[name] = value
    return value


def _clean(station: Station | None, **given) -> dict:
    """The fields as they will be stored; Invalid naming every field that cannot be."""
    fields: dict = {}
    errors: dict[str, str] = {}
    if "name" in given:
        name = _text(fields, errors, "name", given["name"], NAME_MAX_CHARS, required=True)
        same = Station.objects.filter(name__iexact=name)
        if station is not None:
            same = same.exclude(pk=station.pk)
        if name and "name" not in errors and same.exists():
            errors["name"] = f"已有名为“{name}”的采集站"
    if "location" in given:
        _text(fields, errors, "location", given["location"], LOCATION_MAX_CHARS)
    if "note" in given:
        _text(fields, errors, "note", given["note"], NOTE_MAX_CHARS)
    unit = given.get("unit", station.unit if station else None)
    if "unit" in given:
        if not isinstance(unit, Unit):
            errors["unit"] = "请选择所属单位"
        elif unit.retired_at is not None and (station is None or unit.pk != station.unit_id):
            errors["unit"] = f"“{unit.name}”已撤销，不能再登记采集站"
        else:
            fields["unit"] = unit
    if "responsible" in given:
        person = given["responsible"]
        if person is not None and isinstance(unit, Unit):
            if why := _not_responsible(person, unit):
                errors["responsible"] = why
        fields["responsible"] = person
    elif station is not None and "unit" in fields and station.responsible_id:
        # a station moved to another unit keeps its 负责人 only if he may answer for it there
        if why := _not_responsible(station.responsible, fields["unit"]):
            errors["responsible"] = why
    if errors:
        raise Invalid(fields=errors)
    return fields


def _not_responsible(person: User, unit: Unit) -> str:
    """Why `person` cannot answer for a station of `unit` ("" when he can)."""
    if not isinstance(person, User) or not person.is_active:
        return "负责人须为在职人员"
    if person.role not in RESPONSIBLE_ROLES and not person.is_superuser:
        return f"{person.display_name}不是设备及音像资料管理员或系统管理员，不能担任采集站负责人"
    if person.role == Role.ADMIN and not in_unit_scope(person, unit):
        return f"{person.display_name}不管理“{unit.name}”，不能担任该单位采集站的负责人"
    return ""


def _locked(station: Station) -> Station:
    # the station's row only: PostgreSQL cannot lock the nullable side of an outer join
    # (负责人 and token may be empty)
    return (
        Station.objects.select_for_update(of=("self",))
        .select_related("unit", "responsible", "token")
        .get(pk=station.pk)
    )


def _issue_token(station: Station, now) -> str:
    secret = new_secret()
    station.token = ApiToken.objects.create(
        user=None,
        created_at=now,
        name=station.name,
        prefix=prefix_of(secret),
        digest=digest_of(secret),
    )
    station.save(update_fields=["token"])
    IssuedToken.objects.create(token=station.token, station=station)
    return secret


def _revoke(token: ApiToken | None, now) -> bool:
    if token is None or token.is_revoked:
        return False
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.revoked_at = now
    return True


# --- the acts -------------------------------------------------------------------------------


def register(
    actor,
    *,
    name: str,
    unit: Unit | None,
    location: str = "",
    responsible: User | None = None,
    note: str = "",
    ip: str = "",
) -> tuple[Station, str]:
    """A new station of `unit` and its token; the secret is returned here once, never kept."""
    require(can_manage_stations(actor), FORBIDDEN)
    fields = _clean(
        None, name=name, unit=unit, location=location, responsible=responsible, note=note
    )
    with transaction.atomic():
        now = timezone.now()
        station = Station.objects.create(created_at=now, **fields)
        secret = _issue_token(station, now)
        record(
            "station.register",
            actor=actor,
            obj=station,
            summary=f"登记采集站“{station.name}”（{station.unit.name}），发放接入令牌 {station.token.prefix}…",
            detail={"after": snapshot(station)},
            ip=ip,
        )
    return station, secret


def update(actor, station: Station, *, ip: str = "", **given) -> Station:
    """Change the name, unit, location, 负责人 or note (only those given)."""
    require(can_manage_stations(actor), FORBIDDEN)
    unknown = set(given) - {"name", "unit", "location", "responsible", "note"}
    if unknown:
        raise TypeError(f"unknown station fields: {sorted(unknown)}")
    with transaction.atomic():
        station = _locked(station)
        before = snapshot(station)
        fields = _clean(station, **given)
        for name, value in fields.items():
            setattr(station, name, value)
        after = snapshot(station)
        if after == before:
            return station
        station.save()
        if "name" in fields and station.token is not None:
            ApiToken.objects.filter(pk=station.token_id).update(name=station.name)
        changed = [k for k in after if after[k] != before[k]]
        record(
            "station.update",
            actor=actor,
            obj=station,
            summary=f"修改采集站“{station.name}”的信息",
            detail={
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
            ip=ip,
        )
    return station


def open_uploads(station: Station) -> int:
    """How many resumable uploads of the station are still under way (issue 19 §3)."""
    try:
        model = apps.get_model("recordings", "ResumableUpload")
    except LookupError:  # not installed yet: nothing can be under way
        return 0
    return model.objects.filter(station=station, state__in=OPEN_UPLOAD_STATES).count()


def retire(actor, station: Station, *, ip: str = "") -> Station:
    """Stop the station: its token is revoked with it and any request of it refused. Refused
    while one of its files is still being uploaded (let it finish or expire first)."""
    require(can_manage_stations(actor), FORBIDDEN)
    with transaction.atomic():
        station = _locked(station)
        if station.retired_at is not None:
            raise Conflict(f"采集站“{station.name}”已停用")
        if n := open_uploads(station):
            raise Conflict(
                f"采集站“{station.name}”还有 {n} 个文件正在上传，请待上传完成（或过期清理）后再停用"
            )
        before = snapshot(station)
        now = timezone.now()
        station.retired_at = now
        station.save(update_fields=["retired_at"])
        _revoke(station.token, now)
        record(
            "station.retire",
            actor=actor,
            obj=station,
            summary=f"停用采集站“{station.name}”，其接入令牌同时撤销",
            detail={"before": before, "after": snapshot(station)},
            ip=ip,
        )
    return station


def reinstate(actor, station: Station, *, ip: str = "") -> Station:
    """Bring a retired station back. Its old token stays revoked: a new one is issued with
    `rotate_token` when the station is set up again."""
    require(can_manage_stations(actor), FORBIDDEN)
    with transaction.atomic():
        station = _locked(station)
        if station.retired_at is None:
            raise Conflict(f"采集站“{station.name}”未停用，无需恢复")
        if station.unit.retired_at is not None:
            raise Conflict(f"所属单位“{station.unit.name}”已撤销，请先将采集站改到在用的单位")
        before = snapshot(station)
        station.retired_at = None
        station.save(update_fields=["retired_at"])
        record(
            "station.reinstate",
            actor=actor,
            obj=station,
            summary=f"恢复采集站“{station.name}”（需更换令牌后才能连接）",
            detail={"before": before, "after": snapshot(station)},
            ip=ip,
        )
    return station


def rotate_token(actor, station: Station, *, ip: str = "") -> str:
    """A new secret for the station; the old one is void at once. Returned once."""
    require(can_manage_stations(actor), FORBIDDEN)
    with transaction.atomic():
        station = _locked(station)
        if station.retired_at is not None:
            raise Conflict(f"采集站“{station.name}”已停用，请先恢复再更换令牌")
        before = snapshot(station)
        now = timezone.now()
        old = station.token
        _revoke(old, now)
        secret = _issue_token(station, now)
        was = f"（原令牌 {old.prefix}… 即时作废）" if old is not None else ""
        record(
            "station.token_rotate",
            actor=actor,
            obj=station,
            summary=f"更换采集站“{station.name}”的接入令牌为 {station.token.prefix}…{was}",
            detail={"before": before, "after": snapshot(station)},
            ip=ip,
        )
    return secret


def revoke_token(actor, station: Station, *, ip: str = "") -> Station:
    """Void the station's token now (a stolen PC, a leaked secret): it is refused until a
    new token is issued."""
    require(can_manage_stations(actor), FORBIDDEN)
    with transaction.atomic():
        station = _locked(station)
        token = station.token
        if token is None or token.is_revoked:
            raise Conflict(f"采集站“{station.name}”没有有效的接入令牌")
        before = snapshot(station)
        _revoke(token, timezone.now())
        record(
            "station.token_revoke",
            actor=actor,
            obj=station,
            summary=f"撤销采集站“{station.name}”的接入令牌 {token.prefix}…",
            detail={"before": before, "after": snapshot(station)},
            ip=ip,
        )
    return station


def token_view(station: Station) -> ApiToken | None:
    """The station's token as its page shows it (state, prefix, last used), or None."""
    return station.token


def handle_refusal(actor, refusal: CameraRefusal, note: str, *, ip: str = "") -> CameraRefusal:
    """Record how a refused camera was dealt with; it leaves the 待办."""
    require(may_handle_refusals(actor, refusal.station), "无权处理该采集站拒绝导入的设备")
    note = (note or "").strip()
    if not note:
        raise Invalid(fields={"how": "请填写处理情况"})
    if len(note) > HANDLING_NOTE_MAX_CHARS:
        raise Invalid(fields={"explanation": f"处理情况最多 {HANDLING_NOTE_MAX_CHARS} 个字"})
    with transaction.atomic():
        refusal = CameraRefusal.objects.select_for_update().get(pk=refusal.pk)
        if refusal.handled_at is not None:
            raise Conflict(f"执法记录仪（序列号 {refusal.serial}）的拒绝记录已处理")
        refusal.handled_by = actor
        refusal.handled_at = timezone.now()
        refusal.handling_note = note
        refusal.save(update_fields=["handled_by", "handled_at", "handling_note"])
        record(
            "station.refusal_handle",
            actor=actor,
            obj=refusal.station,
            summary=f"处理采集站“{refusal.station.name}”拒绝导入的执法记录仪（序列号 {refusal.serial}）：{note}",
            detail={
                "refusal": refusal.pk,
                "serial": refusal.serial,
                "before": {"handled": False},
                "after": {"handled": True, "note": note},
            },
            ip=ip,
        )
    return refusal
