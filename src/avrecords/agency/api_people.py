"""/api/v1/people (issue 18 §2): an agency's HR or case system keeps it in step, with the same
rules and refusals as the pages (`agency.people`).

Who: `can_manage_people` (system administrators; a unit's 设备及音像资料管理员 where his profile
allows it, then only the people of his subtree — anyone else is 404 as if missing). Units are
named by id (`unit_id`) or by 单位代码 (`unit_code`). A new person's initial password, and a
reset's temporary one, are in that one answer only: the calling system hands it over, and the
person must change it at the next sign-in. A bad field is 422 with `errors` naming each field
as this API names it; a change the agency's state forbids (the last system administrator, a
move of someone who still holds devices or recordings: that is a transfer) is 409."""

from __future__ import annotations

from django.conf import settings
from ninja import Query, Router, Schema, Status

from avrecords.agency import people
from avrecords.agency.permissions import can_manage_people
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.filters import refuse
from avrecords.lib.refusals import Invalid as Refused
from avrecords.lib.refusals import fields_named, require
from avrecords.org.models import Role, Unit, User

router = Router(tags=["单位与人员"])

FORBIDDEN = "无权管理人员（仅限系统管理员，或策略允许的单位设备及音像资料管理员）"
UNKNOWN_UNIT = "单位不存在或不在您的管理范围内"
# The service's field names as this API names them.
API_FIELDS = {"unit": "unit_id", "supervised_units": "supervised_unit_ids"}


class PersonOut(Schema):
    id: int
    username: str
    full_name: str
    badge_no: str | None  # 执法证号
    officer_no: str | None  # 执法记录编号（警号）
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    role: str  # officer, admin, unit_head, leader, supervisor, archivist, sysadmin
    role_label: str
    phone: str
    secrecy_clearances: list[str]  # state_secret, commercial_secret, privacy
    supervised_unit_ids: list[int]  # 监督人员: the units he supervises
    active: bool  # 在岗 (false: 已停用)
    must_change_password: bool


class PersonCreated(PersonOut):
    initial_password: str  # shown once: the person changes it at first sign-in


class PersonPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PersonOut]


class PersonQuery(Schema):
    q: str | None = None  # in 姓名, 用户名, 执法证号, 执法记录编号
    unit: int | None = None  # the unit and the units below it
    role: str | None = None
    active: bool | None = None  # true 在岗, false 已停用
    page: PageNumber = 1


class PersonIn(Schema):
    username: str
    full_name: str
    unit_id: int | None = None
    unit_code: str | None = None  # instead of unit_id
    badge_no: str | None = None
    officer_no: str | None = None
    role: str = Role.OFFICER
    phone: str = ""
    secrecy_clearances: list[str] = []
    supervised_unit_ids: list[int] = []
    supervised_unit_codes: list[str] = []  # instead of, or besides, supervised_unit_ids
    password: str | None = None  # none: one is generated and answered once


class PersonPatch(Schema):
    """Only the fields sent change; a value equal to the current one is no change."""

    username: str | None = None
    full_name: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    badge_no: str | None = None
    officer_no: str | None = None
    role: str | None = None
    phone: str | None = None
    secrecy_clearances: list[str] | None = None
    supervised_unit_ids: list[int] | None = None
    supervised_unit_codes: list[str] | None = None


class PasswordOut(Schema):
    id: int
    username: str
    temporary_password: str  # shown once: the person changes it at the next sign-in


def _out(person: User) -> dict:
    unit = person.unit
    return {
        "id": person.pk,
        "username": person.username,
        "full_name": person.full_name,
        "badge_no": person.badge_no,
        "officer_no": person.officer_no,
        "unit_id": person.unit_id,
        "unit_code": unit.code if unit else None,
        "unit_name": unit.name if unit else None,
        "role": person.role,
        "role_label": person.get_role_display(),
        "phone": person.phone,
        "secrecy_clearances": list(person.secrecy_clearances or []),
        "supervised_unit_ids": sorted(u.pk for u in person.supervised_units.all()),
        "active": person.is_active,
        "must_change_password": person.must_change_password,
    }


def _unit(unit_id: int | None, unit_code: str | None, errors: dict) -> Unit | None:
    """The unit named by id or by code (the service decides whether the actor may use it)."""
    if unit_id is None and not unit_code:
        return None
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id is not None else None
    by_code = Unit.objects.filter(code=unit_code.strip()).first() if unit_code else None
    if unit_id is not None and unit is None:
        errors["unit_id"] = UNKNOWN_UNIT
    elif unit_code and by_code is None:
        errors["unit_code"] = UNKNOWN_UNIT
    elif unit is not None and by_code is not None and unit.pk != by_code.pk:
        errors["unit_code"] = "unit_id 与 unit_code 不是同一个单位"
    return unit or by_code


def _units(ids: list[int] | None, codes: list[str] | None, errors: dict) -> list[Unit]:
    ids, codes = ids or [], [c.strip() for c in codes or []]
    by_id = list(Unit.objects.filter(pk__in=ids))
    by_code = list(Unit.objects.filter(code__in=codes))
    if len(by_id) != len(set(ids)):
        errors["supervised_unit_ids"] = "所选监督单位不存在或不在您的管理范围内"
    if len(by_code) != len(set(codes)):
        errors["supervised_unit_codes"] = "所选监督单位不存在或不在您的管理范围内"
    return list({u.pk: u for u in [*by_id, *by_code]}.values())


def _fields(body: Schema, sent: set[str]) -> dict:
    """The service's fields from what the body sent; units resolved, or 422 naming them."""
    errors: dict[str, str] = {}
    fields = {
        name: getattr(body, name)
        for name in ("username", "full_name", "badge_no", "officer_no", "role", "phone")
        if name in sent
    }
    if "secrecy_clearances" in sent:
        fields["secrecy_clearances"] = body.secrecy_clearances or []
    if sent & {"unit_id", "unit_code"}:
        fields["unit"] = _unit(body.unit_id, body.unit_code, errors)
    if sent & {"supervised_unit_ids", "supervised_unit_codes"}:
        fields["supervised_units"] = _units(
            body.supervised_unit_ids, body.supervised_unit_codes, errors
        )
    for name in ("username", "full_name", "role"):
        if name in fields and fields[name] is None:
            errors[name] = "不能为空"
    if errors:
        raise Refused(fields=errors)
    return fields


def _person(request, person_id: int) -> User:
    require(can_manage_people(request.user), FORBIDDEN)
    return people.managed_person(request.user, person_id)


@router.get(
    "/people",
    response={200: PersonPage, 401: Error, 403: Error, 422: Invalid},
    summary="人员（本人可管理的范围，可按姓名、用户名、执法证号查找，按单位、角色、状态筛选）",
)
def list_people(request, filters: Query[PersonQuery]):
    require(can_manage_people(request.user), FORBIDDEN)
    data = filters.dict()
    page = max(data.pop("page"), 1)
    qs, errors = people.filter_people(request.user, data)
    refuse(errors)
    size = settings.AVRECORDS_PAGE_SIZE
    rows = list(qs.prefetch_related("supervised_units")[(page - 1) * size : page * size])
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "results": [_out(p) for p in rows],
    }


@router.post(
    "/people",
    response={201: PersonCreated, 401: Error, 403: Error, 422: Invalid},
    summary="新增人员（在岗；初始密码只在本次应答中给出，首次登录须修改）",
)
def create_person(request, body: PersonIn):
    require(can_manage_people(request.user), FORBIDDEN)
    sent = set(body.model_fields_set) | {"role", "unit_id"}
    fields = _fields(body, sent)
    fields.setdefault("unit", None)
    with fields_named(API_FIELDS):
        person, password = people.create_person(request.user, password=body.password, **fields)
    return Status(201, {**_out(person), "initial_password": password})


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, 401: Error, 403: Error, 404: Error},
    summary="一个人员",
)
def get_person(request, person_id: int):
    return _out(_person(request, person_id))


@router.patch(
    "/people/{person_id}",
    response={200: PersonOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Invalid},
    summary="修改人员信息（只改所发送的字段；更换单位须无名下设备、记录和未办结问题，否则请办理调动）",
)
def change_person(request, person_id: int, body: PersonPatch):
    person = _person(request, person_id)
    fields = _fields(body, set(body.model_fields_set))
    with fields_named(API_FIELDS):
        people.update_person(request.user, person, **fields)
    person.refresh_from_db()
    return _out(person)


@router.post(
    "/people/{person_id}/password-reset",
    response={200: PasswordOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="重置密码（临时密码只在本次应答中给出，下次登录须修改）",
)
def reset_password(request, person_id: int):
    person = _person(request, person_id)
    password = people.reset_password(request.user, person)
    return {"id": person.pk, "username": person.username, "temporary_password": password}
