"""The unit tree as the agency keeps it (issue 18 §1, §2; X2 scope follows the tree).

Every change to a unit goes through these services — the pages (`views_units`) and the API
(`api_units`) only parse, call and render. Each checks the actor may (`can_manage_units`),
validates everything before writing, refuses with `lib.refusals` in Chinese and writes nothing
when it refuses, and writes one audit entry with before/after in the same transaction.

A unit is never deleted: `retire_unit` marks it retired (`Unit.retired_at`) once nothing is
active in it or below it, and its history (recordings, ledger, audit) keeps naming it;
`reinstate_unit` takes it back. Moving a unit rewrites the materialised paths of its subtree
(`Unit.save`), so everyone's scope (X2) follows the move at once.

The profile a unit follows is assigned through `policies.services.assign` (the one the
`policies:units` page uses); the offices a profile's approval rules name (chengde 001§22: 办公室)
are found by `policies.approvals.office_unit`, and `offices` says for each profile in use
whether they exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from avrecords import events
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.agency.permissions import can_manage_units
from avrecords.audit import services as audit
from avrecords.compliance.models import OPEN_STATUSES, Decision, Exemption, Finding
from avrecords.equipment.models import Clearance, ClearanceStatus, Device, DeviceStatus
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.org.models import Unit, User
from avrecords.org.scope import sees_everything
from avrecords.policies import services as policies
from avrecords.policies.approvals import office_unit
from avrecords.policies.models import PolicyProfile, UnitPolicy
from avrecords.retention.models import (
    ChangeStatus,
    DisposalList,
    DisposalStatus,
    HoldStatus,
    LegalHold,
    RetentionChange,
)

NAME_MAX = 100
CODE_MAX = 32
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
NAMES_SHOWN = 5  # a refusal names this many of the people, devices… it counts


def _require(actor) -> None:
    if not can_manage_units(actor):
        raise Forbidden("无权管理单位（仅限系统管理员）")


def state(unit: Unit) -> dict:
    """What the audit entry keeps of a unit, before and after a change."""
    return {
        "name": unit.name,
        "code": unit.code,
        "parent": unit.parent_id,
        "parent_name": unit.parent.name if unit.parent_id else None,
        "path": unit.path,
        "field_squad": unit.field_squad,
        "retired_at": unit.retired_at.isoformat() if unit.retired_at else None,
    }


def _audit(action: str, actor, unit: Unit, summary: str, before: dict, **extra) -> None:
    detail = {"before": before, "after": state(unit), **extra}
    audit.record(action, actor=actor, obj=unit, summary=summary, detail=detail)


def _not_retired(unit: Unit) -> None:
    if unit.retired_at is not None:
        raise Conflict(f"{unit.name}已撤销，请先恢复")


# --- checks shared by create, rename and move ------------------------------------------------


def _name_error(name: str) -> str | None:
    if not name:
        return "请填写单位名称"
    if len(name) > NAME_MAX:
        return f"单位名称最多 {NAME_MAX} 个字"
    return None


def _code_error(code: str, unit: Unit | None = None) -> str | None:
    if len(code) > CODE_MAX or not CODE_RE.match(code):
        return f"单位代码只能由数字、字母和“-”“_”“.”组成，以数字或字母开头，至多 {CODE_MAX} 位"
    holder = Unit.objects.filter(code__iexact=code).exclude(pk=unit.pk if unit else None).first()
    if holder is not None:
        return f"单位代码 {code} 已属于 {holder.name}"
    return None


def _sibling_error(name: str, parent: Unit | None, unit: Unit | None = None) -> str | None:
    """Names are unique among siblings, retired ones included: a retired 办公室 beside a new
    one would leave `office_unit` choosing between them."""
    sibling = (
        Unit.objects.filter(parent=parent, name=name).exclude(pk=unit.pk if unit else None).first()
    )
    if sibling is None:
        return None
    where = parent.name if parent else "最上级"
    retired = "（已撤销，可恢复）" if sibling.retired_at else ""
    return f"{where}下已有名为“{name}”的单位{retired}"


def _parent_error(actor, parent: Unit | None) -> str | None:
    if parent is None:
        # An agency is usually one root (the 局); another top-level unit only by a system
        # administrator, who sees the whole tree.
        return None if sees_everything(actor) else "请选择上级单位"
    if parent.retired_at is not None:
        return f"{parent.name}已撤销"
    return None


def _generated_code(parent: Unit | None) -> str:
    """The parent's code and the next free two-digit number (T350200-03), U001… at the top."""
    base = parent.code if parent and len(parent.code) <= CODE_MAX - 4 else ""
    n = Unit.objects.filter(parent=parent).count() + 1
    while True:
        code = f"{base}-{n:02d}" if base else f"U{n:03d}"
        if not Unit.objects.filter(code__iexact=code).exists():
            return code
        n += 1


# --- the services ---------------------------------------------------------------------------


@transaction.atomic
def create_unit(
    actor, *, name: str, code: str = "", parent: Unit | None = None, field_squad: bool = False
) -> Unit:
    """A new unit under `parent` (none: a top-level unit, system administrators only); its
    code is generated when left blank."""
    _require(actor)
    name, code = (name or "").strip(), (code or "").strip()
    errors = {}
    if error := _name_error(name):
        errors["name"] = error
    elif error := _sibling_error(name, parent):
        errors["name"] = error
    if code and (error := _code_error(code)):
        errors["code"] = error
    if error := _parent_error(actor, parent):
        errors["parent"] = error
    if errors:
        raise Invalid(fields=errors)
    unit = Unit(name=name, code=code or _generated_code(parent), parent=parent)
    unit.field_squad = bool(field_squad)
    unit.save()
    after = state(unit)
    audit.record(
        "agency.unit_create",
        actor=actor,
        obj=unit,
        summary=f"新建单位 {unit.name}" + (f"（上级：{parent.name}）" if parent else ""),
        detail={"before": {}, "after": after},
    )
    return unit


@transaction.atomic
def rename_unit(actor, unit: Unit, *, name: str, code: str | None = None) -> Unit:
    """A new name (and, when given, a new code); the same name and code change nothing."""
    _require(actor)
    _not_retired(unit)
    name = (name or "").strip()
    code = unit.code if code is None else code.strip()
    if name == unit.name and code == unit.code:
        return unit
    errors = {}
    if error := _name_error(name):
        errors["name"] = error
    elif name != unit.name and (error := _sibling_error(name, unit.parent, unit)):
        errors["name"] = error
    if code != unit.code and (error := _code_error(code, unit)):
        errors["code"] = error
    if errors:
        raise Invalid(fields=errors)
    before = state(unit)
    unit.name, unit.code = name, code
    unit.save()
    _audit("agency.unit_rename", actor, unit, f"单位 {before['name']} 更名为 {name}", before)
    return unit


@transaction.atomic
def move_unit(actor, unit: Unit, parent: Unit | None) -> Unit:
    """Place `unit` and its subtree under `parent`: never under itself or its own
    descendant. The paths of the subtree are rewritten (`Unit.save`), so the scope of every
    unit role over it follows; when the profile it inherits changes, compliance is told as
    for an assignment (events.PROFILE_ASSIGNED)."""
    _require(actor)
    _not_retired(unit)
    given, unit = unit, Unit.objects.select_for_update().get(pk=unit.pk)
    if parent is not None:
        parent = Unit.objects.get(pk=parent.pk)  # its current path
    if (parent.pk if parent else None) == unit.parent_id:
        return given
    errors = {}
    if parent is not None and parent.path.startswith(unit.path):
        errors["parent"] = f"不能把{unit.name}移到其本身或其下级单位之下"
    elif error := _parent_error(actor, parent):
        errors["parent"] = error
    elif error := _sibling_error(unit.name, parent, unit):
        errors["parent"] = error
    if errors:
        raise Invalid(fields=errors)
    before = state(unit)
    profile_before, _ = policies.assignment_of(unit)
    unit.parent = parent
    unit.save()
    profile_after, _ = policies.assignment_of(unit)
    if profile_before != profile_after and not UnitPolicy.objects.filter(unit=unit).exists():
        events.PROFILE_ASSIGNED.send(unit=unit, profile=None, actor=actor)
    where = parent.name if parent else "最上级"
    _audit("agency.unit_move", actor, unit, f"单位 {unit.name} 移至 {where}", before)
    given.refresh_from_db()
    return given


@transaction.atomic
def set_field_squad(actor, unit: Unit, field_squad: bool) -> Unit:
    """Mark or unmark a 现场执法分队 (its staffing counts as such, e.g. fuzhou 004§5)."""
    _require(actor)
    _not_retired(unit)
    if unit.field_squad == bool(field_squad):
        return unit
    before = state(unit)
    unit.field_squad = bool(field_squad)
    unit.save()
    said = "标记为现场执法分队" if field_squad else "取消现场执法分队标记"
    _audit("agency.unit_field_squad", actor, unit, f"单位 {unit.name} {said}", before)
    return unit


def assign_profile(actor, unit: Unit, code: str | None) -> PolicyProfile | None:
    """The profile `unit` follows from now (None or "": inherit its parent's), through
    `policies.services.assign`, which audits it."""
    _require(actor)
    _not_retired(unit)
    profile = None
    if code:
        profile = PolicyProfile.objects.filter(code=code).first()
        if profile is None:
            raise Invalid(fields={"profile": "所选策略不存在"})
    policies.assign(actor, unit, profile)
    return profile


# --- retiring --------------------------------------------------------------------------------


def _named(rows, word: str, measure: str, show) -> str | None:
    """ "仍有在岗人员 3 名（张伟、王芳、李娜）": how many, and the first few, each once."""
    count = rows.count()
    if not count:
        return None
    names: list[str] = []
    for row in rows[: NAMES_SHOWN * 4]:
        if (name := show(row)) not in names:
            names.append(name)
    more = "等" if count > len(names[:NAMES_SHOWN]) else ""
    return f"{word} {count} {measure}（{'、'.join(names[:NAMES_SHOWN])}{more}）"


def _in(subtree: Q, field: str = "unit") -> Q:
    return Q(**{f"{field}__in": subtree})


def still_active(unit: Unit) -> list[str]:
    """What keeps `unit` from being retired, each named in Chinese: anything active in it or
    its subtree. Empty when it may be retired."""
    subtree = Unit.objects.filter(path__startswith=unit.path)
    units = _in(subtree)
    checks = [
        (
            User.objects.filter(units, is_active=True).order_by("pk"),
            "仍有在岗人员",
            "名",
            lambda u: u.display_name,
        ),
        (
            Device.objects.filter(units).exclude(status=DeviceStatus.RETIRED).order_by("pk"),
            "仍有未报废的设备",
            "台",
            lambda d: d.serial,
        ),
        (
            Clearance.objects.filter(units, status=ClearanceStatus.OPEN).select_related("person"),
            "仍有办理中的离岗交接",
            "件",
            lambda c: c.person.display_name,
        ),
        (
            subtree.exclude(pk=unit.pk).filter(retired_at__isnull=True),
            "仍有未撤销的下级单位",
            "个",
            lambda u: u.name,
        ),
        (
            User.objects.filter(supervised_units__in=subtree, is_active=True).distinct(),
            "仍有挂钩监督的监督人员",
            "名",
            lambda u: u.display_name,
        ),
        (
            Finding.objects.filter(units, status__in=OPEN_STATUSES).order_by("pk"),
            "仍有待处理的合规问题",
            "项",
            lambda f: f.get_kind_display(),
        ),
        (
            Exemption.objects.filter(
                _in(subtree, "activity__unit"), decision=Decision.PENDING
            ).order_by("pk"),
            "仍有待审批的免予记录申请",
            "件",
            lambda e: e.ground_name,
        ),
        (
            AccessRequest.objects.filter(
                units, status__in=(RequestStatus.PENDING, RequestStatus.APPROVED)
            ).order_by("pk"),
            "仍有待审批或待办理的查阅复制申请",
            "件",
            lambda r: r.number,
        ),
        (
            LegalHold.objects.filter(
                units, status__in=(HoldStatus.ACTIVE, HoldStatus.RELEASE_PENDING)
            ).order_by("pk"),
            "仍有保全中的证据保全",
            "项",
            lambda h: h.number,
        ),
        (
            DisposalList.objects.filter(units)
            .exclude(status__in=(DisposalStatus.DONE, DisposalStatus.REJECTED))
            .order_by("pk"),
            "仍有未完成的清除清单",
            "份",
            lambda d: d.number,
        ),
        (
            RetentionChange.objects.filter(
                _in(subtree, "recording__unit"), status=ChangeStatus.PENDING
            )
            .select_related("requested_by")
            .order_by("pk"),
            "仍有待批准的缩短保存期限申请",
            "件",
            # who asked and when, not the recording's name: it may be marked confidential (M9)
            # and the page is a system administrator's, who need not be cleared
            lambda c: (
                f"{c.requested_by.display_name} {timezone.localtime(c.requested_at):%Y-%m-%d}提出"
            ),
        ),
    ]
    return [said for qs, *words, show in checks if (said := _named(qs, *words, show))]


@transaction.atomic
def retire_unit(actor, unit: Unit, reason: str) -> Unit:
    """Retire `unit` (`retired_at`), refused — naming each thing — while anything is active in
    it or its subtree. It keeps its history and leaves the pickers."""
    _require(actor)
    given, unit = unit, Unit.objects.select_for_update().get(pk=unit.pk)
    reason = (reason or "").strip()
    if unit.retired_at is not None:
        raise Conflict(f"{unit.name}已撤销")
    if not reason:
        raise Invalid(fields={"reason": "请填写撤销原因"})
    if blockers := still_active(unit):
        raise Conflict(f"{unit.name}不能撤销：" + "；".join(blockers), reasons=blockers)
    before = state(unit)
    unit.retired_at = timezone.now()
    unit.save()
    _audit(
        "agency.unit_retire", actor, unit, f"撤销单位 {unit.name}：{reason}", before, reason=reason
    )
    given.refresh_from_db()
    return given


@transaction.atomic
def reinstate_unit(actor, unit: Unit) -> Unit:
    """Take a retired unit back (under a parent that is not retired itself)."""
    _require(actor)
    given, unit = unit, Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.retired_at is None:
        raise Conflict(f"{unit.name}未撤销")
    if unit.parent_id and unit.parent.retired_at is not None:
        raise Conflict(f"上级单位{unit.parent.name}已撤销，请先恢复上级单位")
    before = state(unit)
    unit.retired_at = None
    unit.save()
    _audit("agency.unit_reinstate", actor, unit, f"恢复单位 {unit.name}", before)
    given.refresh_from_db()
    return given


# --- what the pages and the API read ---------------------------------------------------------


@dataclass
class Office:
    """A named office a profile in use asks for (chengde 001§22: 办公室) and whether it
    exists where `office_unit` looks for it: under the unit the profile is assigned to."""

    profile: PolicyProfile
    root: Unit  # the unit the profile is assigned to
    name: str  # 办公室
    role: str  # the role its head holds (unit_head)
    cites: list[str]
    unit: Unit | None  # found by office_unit, or None
    heads: list[User]


def offices() -> list[Office]:
    """For each assignment of a profile whose approval rules name an office: the office."""
    found: list[Office] = []
    assignments = UnitPolicy.objects.select_related("profile", "unit").order_by("unit__path")
    for row in assignments:
        if row.unit.retired_at is not None:
            continue
        named: dict[tuple[str, str], list[str]] = {}
        deciding = row.profile.profile.deciding
        for name in type(deciding).model_fields:
            office = getattr(deciding, name).office
            if office is not None:
                cites = named.setdefault((office.unit, office.role), [])
                if (cite := office.cite or getattr(deciding, name).cite) and cite not in cites:
                    cites.append(cite)
        for (name, role), cites in named.items():
            unit = office_unit(row.unit, name)
            heads = []
            if unit is not None:
                heads = list(
                    User.objects.filter(unit=unit, role=role, is_active=True).order_by("pk")
                )
            found.append(Office(row.profile, row.unit, name, role, cites, unit, heads))
    return found


def set_up_office(actor, root: Unit, name: str) -> Unit:
    """Create the office a profile names, directly under the unit the profile is assigned to,
    where `office_unit` finds it."""
    return create_unit(actor, name=name, parent=root)


def counts() -> dict[int, tuple[int, int]]:
    """unit id → (active people, devices not written off) in that unit itself."""
    people = dict(
        User.objects.filter(is_active=True, unit__isnull=False)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    devices = dict(
        Device.objects.exclude(status=DeviceStatus.RETIRED)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    return {pk: (people.get(pk, 0), devices.get(pk, 0)) for pk in {*people, *devices}}


def effective_profiles(units) -> dict[int, tuple[PolicyProfile | None, int | None]]:
    """unit id → (the profile it follows, the id of the unit it is assigned on), as
    `policies.services.assignment_of` answers it, for a whole list at once (one query)."""
    own = {row.unit_id: row.profile for row in UnitPolicy.objects.select_related("profile")}
    found = {}
    for unit in units:
        ids = [int(p) for p in reversed(unit.path.rstrip(".").split("."))]
        on = next((pk for pk in ids if pk in own), None)
        found[unit.pk] = (own[on] if on is not None else None, on)
    return found


def parent_choices(user, unit: Unit | None = None):
    """The units `unit` may be placed under: visible, not retired, outside its own subtree."""
    qs = Unit.objects.visible_to(user).filter(retired_at__isnull=True)
    if unit is not None:
        qs = qs.exclude(path__startswith=unit.path)
    return qs
