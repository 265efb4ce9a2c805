"""/api/v1/units (issue 18 §2): an agency's HR or case system keeps it in step, with the same
rules and refusals as the pages (`agency.units`).

Everyone signed in reads the units in his sight (`Unit.objects.visible_to`: his own unit, a
unit role's subtree, everything for system administrators); system administrators
(`can_manage_units`) create, change, retire and reinstate. A unit outside one's sight is 404
before any permission is asked, as a missing one."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from ninja import Router, Schema, Status

from avrecords.agency import units as svc
from avrecords.agency.forms_units import parent_of
from avrecords.agency.permissions import can_manage_units
from avrecords.lib import citations
from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.refusals import fields_named, require
from avrecords.org.models import Unit

router = Router(tags=["单位与人员"])

FORBIDDEN = "无权管理单位（仅限系统管理员）"
# The service's field names as this API names them.
API_FIELDS = {"parent": "parent_id"}


class UnitOut(Schema):
    """A unit with its place in the tree and the profile it follows."""

    id: int
    name: str
    code: str
    parent_id: int | None
    depth: int
    path: str  # the materialised path: ids of the unit and its ancestors, six digits each
    field_squad: bool
    retired: bool
    retired_at: dt.datetime | None
    profile: str | None  # the code of the profile it follows, its own or inherited
    profile_name: str | None
    profile_unit_id: int | None  # the unit the profile is assigned on (itself: its own)


class UnitIn(Schema):
    name: str
    code: str = ""
    parent_id: int | None = None
    field_squad: bool = False
    profile: str | None = None  # a profile's code for the new unit itself; none: inherit


class UnitPatch(Schema):
    """Only the fields sent change; `parent_id: null` makes it a top-level unit and
    `profile: null` (or "") lets it inherit its parent's."""

    name: str | None = None
    code: str | None = None
    parent_id: int | None = None
    field_squad: bool | None = None
    profile: str | None = None


class OfficeOut(Schema):
    """An office a profile in use names (chengde 001§22: 办公室) and whether it is set up."""

    profile: str  # the profile's code
    profile_name: str
    profile_unit_id: int  # the unit the profile is assigned on: the office goes under it
    name: str  # 办公室
    role: str  # the role its head holds (unit_head)
    cites: list[str]  # the articles naming it, as people cite them (第二十二条)
    unit_id: int | None  # the office, or null while it is not set up
    heads: list[str]  # its heads' names (empty: nobody can take the step yet)


class RetireIn(Schema):
    reason: str


def _out(unit: Unit, profiles: dict | None = None) -> dict:
    profiles = profiles if profiles is not None else svc.effective_profiles([unit])
    profile, on = profiles[unit.pk]
    return {
        "id": unit.pk,
        "name": unit.name,
        "code": unit.code,
        "parent_id": unit.parent_id,
        "depth": unit.depth,
        "path": unit.path,
        "field_squad": unit.field_squad,
        "retired": unit.retired_at is not None,
        "retired_at": unit.retired_at,
        "profile": profile.code if profile else None,
        "profile_name": profile.name if profile else None,
        "profile_unit_id": on,
    }


@router.get("/units", response={200: list[UnitOut], 401: Error}, summary="单位（树形，按路径排序）")
def list_units(request):
    units = list(Unit.objects.visible_to(request.user))
    profiles = svc.effective_profiles(units)
    return [_out(unit, profiles) for unit in units]


@router.post(
    "/units",
    response={201: UnitOut, 401: Error, 403: Error, 422: Invalid},
    summary="新建单位（单位代码留空则自动编号）",
)
def create_unit(request, body: UnitIn):
    require(can_manage_units(request.user), FORBIDDEN)
    with fields_named(API_FIELDS), transaction.atomic():
        unit = svc.create_unit(
            request.user,
            name=body.name,
            code=body.code,
            parent=parent_of(request.user, body.parent_id, field="parent_id"),
            field_squad=body.field_squad,
        )
        if body.profile:
            svc.assign_profile(request.user, unit, body.profile)
    return Status(201, _out(unit))


@router.get(
    "/units/offices",
    response={200: list[OfficeOut], 401: Error, 403: Error},
    summary="审批规则指定的单位（如承德规定由办公室负责人审核）及是否已设置",
)
def list_offices(request):
    require(can_manage_units(request.user), FORBIDDEN)
    return [
        {
            "profile": o.profile.code,
            "profile_name": o.profile.name,
            "profile_unit_id": o.root.pk,
            "name": o.name,
            "role": o.role,
            "cites": [citations.cited(cite) for cite in o.cites],
            "unit_id": o.unit.pk if o.unit else None,
            "heads": [head.display_name for head in o.heads],
        }
        for o in svc.offices()
    ]


@router.get("/units/{unit_id}", response={200: UnitOut, 401: Error, 404: Error}, summary="一个单位")
def get_unit(request, unit_id: int):
    return _out(Unit.objects.get_visible(request.user, unit_id))


@router.patch(
    "/units/{unit_id}",
    response={200: UnitOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Invalid},
    summary="修改单位：更名、调整上级单位、现场执法分队、适用策略（只改所发送的字段）",
)
def change_unit(request, unit_id: int, body: UnitPatch):
    unit = Unit.objects.get_visible(request.user, unit_id)
    require(can_manage_units(request.user), FORBIDDEN)
    sent = body.model_fields_set
    with fields_named(API_FIELDS), transaction.atomic():
        if "name" in sent or "code" in sent:
            svc.rename_unit(request.user, unit, name=body.name or unit.name, code=body.code)
        if "parent_id" in sent:
            parent = parent_of(request.user, body.parent_id, field="parent_id")
            svc.move_unit(request.user, unit, parent)
        if "field_squad" in sent and body.field_squad is not None:
            svc.set_field_squad(request.user, unit, body.field_squad)
        if "profile" in sent:
            svc.assign_profile(request.user, unit, body.profile or None)
    unit.refresh_from_db()
    return _out(unit)


@router.post(
    "/units/{unit_id}/retire",
    response={200: UnitOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Invalid},
    summary="撤销单位（本单位及下级单位中尚有在岗人员、设备等未了结事项的，逐项说明并拒绝）",
)
def retire_unit(request, unit_id: int, body: RetireIn):
    unit = Unit.objects.get_visible(request.user, unit_id)
    require(can_manage_units(request.user), FORBIDDEN)
    return _out(svc.retire_unit(request.user, unit, body.reason))


@router.post(
    "/units/{unit_id}/reinstate",
    response={200: UnitOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="恢复已撤销的单位",
)
def reinstate_unit(request, unit_id: int):
    unit = Unit.objects.get_visible(request.user, unit_id)
    require(can_manage_units(request.user), FORBIDDEN)
    return _out(svc.reinstate_unit(request.user, unit))
