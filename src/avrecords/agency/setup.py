"""The first-run checklist (issue 18 §4): what an installation has set up, and what it still
lacks before officers can start recording under the rules.

`checklist()` reads everything from the data (no stored progress): the five steps with their
state, and `missing`, one Chinese sentence each — a unit without a profile, no officer, no
device, no collection station, no 单位负责人 / 分管领导 over units with officers where the
profile's approval chains name them (`policies.approvals.DECISIONS`), a named office missing
or without its head (`agency.units.offices`, the engine's NO_OFFICE refusal), nobody cleared
for confidential material (M9). The checklist is complete when nothing is missing.

A system administrator lands on `/setup/` after signing in until the checklist is complete or
he chose 稍后再说 (`SetupDeferral`, kept per person).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from avrecords.agency import units
from avrecords.agency.models import SetupDeferral
from avrecords.agency.permissions import can_set_up
from avrecords.equipment.models import Device, DeviceStatus, Station
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.models import Role, Secrecy, Unit, User
from avrecords.policies.approvals import DECISIONS
from avrecords.policies.models import PolicyProfile, UnitPolicy

# The roles over a unit whose absence the checklist names when a profile's chains need them.
CHAIN_ROLES = (Role.UNIT_HEAD, Role.LEADER)
NAMES_SHOWN = 5  # a sentence names this many units, then "等 N 个"


@dataclass
class Step:
    """One step of the checklist as the page shows it."""

    title: str
    done: bool
    state: str  # a Chinese sentence: what is there
    url: str = ""  # the url name of the page where it is done ("" on the checklist itself)
    link: str = ""  # the words of that link
    note: str = ""


@dataclass
class Missing:
    """One thing still lacking, and where to set it up."""

    text: str
    url: str = ""
    link: str = ""


@dataclass
class Checklist:
    root: Unit | None
    profile: PolicyProfile | None  # the root's own profile
    steps: list[Step] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    role_counts: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.root is not None and not self.missing


def root_unit() -> Unit | None:
    """The agency itself: the first top-level unit still in service."""
    return Unit.objects.filter(parent=None, retired_at=None).order_by("pk").first()


def _names(units_: list[Unit]) -> str:
    shown = "、".join(u.name for u in units_[:NAMES_SHOWN])
    return shown + (f" 等 {len(units_)} 个单位" if len(units_) > NAMES_SHOWN else "")


def _role(code: str) -> str:
    return Role(code).label if code in Role.values else code


def _ids(unit: Unit) -> list[int]:
    """The unit and its ancestors, nearest first (from the materialised path)."""
    return [int(p) for p in reversed(unit.path.rstrip(".").split(".")) if p]


def _chain_gaps(active: list[Unit], profiles: dict[int, PolicyProfile]) -> list[Missing]:
    """Units with officers whose profile's chains name a unit head or a leader, where nobody
    holding that role stands over the unit (in it or above it)."""
    officers = Counter(
        User.objects.filter(is_active=True, role=Role.OFFICER, unit__isnull=False)
        .values_list("unit", flat=True)
        .order_by()
    )
    holders: dict[str, set[int]] = {role: set() for role in CHAIN_ROLES}
    for role, unit_id in User.objects.filter(
        is_active=True, role__in=CHAIN_ROLES, unit__isnull=False
    ).values_list("role", "unit"):
        holders[role].add(unit_id)
    needed: dict[int, set[str]] = {}
    gaps: dict[str, list[Unit]] = {role: [] for role in CHAIN_ROLES}
    for unit in active:
        if not officers.get(unit.pk):
            continue
        ids = _ids(unit)
        root = next((pk for pk in ids if pk in profiles), None)
        if root is None:
            continue  # already said: no profile
        if root not in needed:
            schema = profiles[root].profile
            roles: set[str] = set()
            for decision in DECISIONS.values():
                roles |= set(decision.roles(schema))
            needed[root] = roles
        for role in CHAIN_ROLES:
            if role in needed[root] and not holders[role] & set(ids):
                gaps[role].append(unit)
    return [
        Missing(
            f"{_names(where)}有执法人员，适用的规定要求由{_role(role)}审批，"
            f"但本单位及上级单位还没有{_role(role)}",
            "agency:people",
            "人员",
        )
        for role, where in gaps.items()
        if where
    ]


def _office_gaps() -> list[Missing]:
    found = []
    for office in units.offices():
        if office.unit is None:
            found.append(
                Missing(
                    f"{office.root.name}适用的规定要求由“{office.name}”负责人审核，"
                    f"但{office.root.name}下还没有“{office.name}”",
                    "agency:units",
                    "单位",
                )
            )
        elif not office.heads:
            found.append(
                Missing(
                    f"“{office.name}”还没有{_role(office.role)}，其负责审核的申请无人可以审批",
                    "agency:people",
                    "人员",
                )
            )
    return found


def checklist() -> Checklist:
    root = root_unit()
    active = list(Unit.objects.filter(retired_at=None).order_by("path"))
    profiles = {
        row.unit_id: row.profile
        for row in UnitPolicy.objects.select_related("profile").filter(unit__retired_at=None)
    }
    own = profiles.get(root.pk) if root else None
    result = Checklist(root=root, profile=own)
    role_counts = dict(
        Counter(User.objects.filter(is_active=True).values_list("role", flat=True).order_by())
    )
    result.role_counts = {_role(code): role_counts.get(code, 0) for code in Role.values}
    devices = Device.objects.exclude(status=DeviceStatus.RETIRED).count()
    stations = Station.objects.filter(retired_at__isnull=True).count()

    if root is None:
        state = "尚未设置机构名称"
    else:
        state = f"{root.name}，" + (f"适用{own.name}" if own else "尚未选择执法策略")
    result.steps = [
        Step("机构名称与执法策略", root is not None and own is not None, state),
        Step(
            "单位",
            len(active) > 1,
            f"共 {len(active)} 个单位" if active else "尚无单位",
            "agency:units",
            "单位管理",
        ),
        Step(
            "人员",
            role_counts.get(Role.OFFICER, 0) > 0,
            "、".join(f"{label} {n} 人" for label, n in result.role_counts.items() if n)
            or "尚无人员",
            "agency:roster",
            "导入人员名册",
        ),
        Step(
            "设备台账",
            devices > 0,
            f"已登记 {devices} 台设备" if devices else "尚未登记设备",
            "equipment:device_import",
            "导入设备台账",
        ),
        Step(
            "采集站",
            stations > 0,
            f"已登记 {stations} 个采集站" if stations else "尚未登记采集站",
            "stations:new",
            "登记采集站",
        ),
    ]

    missing = result.missing
    if root is None:
        missing.append(Missing("尚未设置机构名称和执法策略（见上方第 1 步）"))
    unprofiled = [u for u in active if not any(pk in profiles for pk in _ids(u))]
    if root is not None and unprofiled:
        missing.append(
            Missing(f"{_names(unprofiled)}没有适用的执法策略", "policies:units", "单位适用策略")
        )
    if not role_counts.get(Role.OFFICER):
        missing.append(Missing("还没有执法人员", "agency:roster", "导入人员名册"))
    if not devices:
        missing.append(
            Missing("还没有登记执法记录仪等设备", "equipment:device_import", "导入设备台账")
        )
    if not stations:
        missing.append(Missing("还没有采集站", "stations:new", "登记采集站"))
    missing += _chain_gaps(active, profiles)
    missing += _office_gaps()
    cleared = User.objects.filter(is_active=True).exclude(secrecy_clearances=[]).exists()
    if not cleared:
        marks = "、".join(label for value, label in Secrecy.choices if value)
        missing.append(
            Missing(
                f"还没有人获准知悉涉密内容（{marks}），标注密级的音像记录将无人可以审批查阅",
                "agency:people",
                "人员",
            )
        )
    return result


# --- landing after sign-in, 稍后再说 ---------------------------------------------------------


def lands_on_setup(user) -> bool:
    """Whether signing in takes this person to the checklist instead of 工作台."""
    if not can_set_up(user) or SetupDeferral.objects.filter(user=user).exists():
        return False
    return not checklist().complete


def defer(user) -> None:
    """稍后再说: signing in takes him to 工作台 from now on (the checklist stays in the menu)."""
    if not can_set_up(user):
        raise Forbidden("无权进行初始设置（仅限系统管理员）")
    SetupDeferral.objects.get_or_create(user=user)


@transaction.atomic
def name_agency(actor, *, name: str, code: str, profile: str) -> Unit:
    """Step 1: the agency's name (the root unit, created if there is none) and its profile,
    through the unit services, which check, refuse in Chinese and audit each change."""
    if not profile:
        raise Invalid(fields={"profile": "请选择执法策略"})
    root = root_unit()
    if root is None:
        root = units.create_unit(actor, name=name, code=code)
    else:
        root = units.rename_unit(actor, root, name=name, code=code or root.code)
    units.assign_profile(actor, root, profile or None)
    return root
