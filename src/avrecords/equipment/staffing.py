"""Staffing ratios (E3) and technical specs (E4), against the unit's profile.

Ratio: a unit with officers needs ceil(officers / officers_per_camera) carried recorders and
at least min_per_unit; a field squad (现场执法分队) at least min_per_field_squad (004§5: two).
Counted are body cameras and handheld terminals in service or spare; a unit's officers are
the active officers whose unit it is (sub-units have their own rows).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from avrecords.equipment.models import CARRIED_KINDS, EQUIPPED, Device
from avrecords.org.models import Role, Unit, User
from avrecords.policies.schema_values import FEATURES
from avrecords.policies.services import profile_for_unit

if TYPE_CHECKING:
    from avrecords.policies.schema import SpecMinimum


@dataclass
class RatioRow:
    unit: Unit
    profile: str  # code, "" = none assigned
    officers: int
    cameras: int
    required: int
    reasons: list[str] = field(default_factory=list)  # why `required`, with the articles
    cite: str = ""
    profile_name: str = ""

    @property
    def applies(self) -> bool:
        return bool(self.profile) and self.required > 0

    @property
    def ok(self) -> bool:
        return self.cameras >= self.required

    @property
    def shortfall(self) -> int:
        return max(self.required - self.cameras, 0)


def required_for(staffing, officers: int, field_squad: bool) -> tuple[int, list[str]]:
    """How many recorders a unit needs and why (each reason names its number)."""
    needs: list[tuple[int, str]] = []
    if officers:
        by_ratio = math.ceil(officers / staffing.officers_per_camera)
        needs.append(
            (
                by_ratio,
                f"{officers} 名执法人员按每 {staffing.officers_per_camera} 人 1 台需 {by_ratio} 台",
            )
        )
        if staffing.min_per_unit:
            needs.append((staffing.min_per_unit, f"每个单位不少于 {staffing.min_per_unit} 台"))
    if field_squad and staffing.min_per_field_squad:
        needs.append(
            (staffing.min_per_field_squad, f"现场执法分队不少于 {staffing.min_per_field_squad} 台")
        )
    if not needs:
        return 0, []
    top = max(n for n, _ in needs)
    return top, [text for n, text in needs if n == top]


def ratio_report(units) -> list[RatioRow]:
    units = list(units)
    ids = [u.pk for u in units]
    officers = Counter(
        User.objects.filter(unit__in=ids, role=Role.OFFICER, is_active=True).values_list(
            "unit_id", flat=True
        )
    )
    cameras = Counter(
        Device.objects.filter(
            unit__in=ids, kind__in=CARRIED_KINDS, status__in=EQUIPPED
        ).values_list("unit_id", flat=True)
    )
    rows = []
    for unit in units:
        profile = profile_for_unit(unit)
        if profile is None:
            rows.append(RatioRow(unit, "", officers[unit.pk], cameras[unit.pk], 0))
            continue
        required, reasons = required_for(profile.staffing, officers[unit.pk], unit.field_squad)
        rows.append(
            RatioRow(
                unit,
                profile.code,
                officers[unit.pk],
                cameras[unit.pk],
                required,
                reasons,
                profile.staffing.cite,
                profile.name,
            )
        )
    return rows


# --- E4: technical specs --------------------------------------------------------------------

NUMBERS = (
    ("resolution", "min_resolution", "分辨率", "P"),
    ("battery_hours", "min_battery_hours", "续航", " 小时"),
    ("storage_gb", "min_storage_gb", "存储", " GB"),
)


def spec_shortfalls(device: Device, minimum: SpecMinimum | None) -> tuple[list[str], list[str]]:
    """(below the minimum, not recorded) for a device the minimum applies to."""
    if minimum is None or device.kind not in minimum.kinds:
        return [], []
    specs = device.specs or {}
    below, unknown = [], []
    for key, attr, label, unit in NUMBERS:
        need = getattr(minimum, attr)
        have = specs.get(key)
        if have in (None, ""):
            unknown.append(label)
        elif float(have) < need:
            below.append(f"{label} {float(have):g}{unit} 低于 {need:g}{unit}")
    for feature in minimum.required:
        if specs.get(feature) is None:
            unknown.append(FEATURES[feature])
        elif not specs.get(feature):
            below.append(f"不具备{FEATURES[feature]}功能")
    return below, unknown


def below_spec(devices) -> list[tuple[Device, list[str]]]:
    """Devices in service below their unit's minimum (E4: 及时更换或更新淘汰)."""
    out = []
    cache: dict[int, SpecMinimum | None] = {}
    for device in devices.filter(status__in=EQUIPPED).select_related("unit"):
        if device.unit_id not in cache:
            profile = profile_for_unit(device.unit)
            cache[device.unit_id] = profile.equipment.specs if profile else None
        below, _ = spec_shortfalls(device, cache[device.unit_id])
        if below:
            out.append((device, below))
    return out


def explosion_check(activity) -> list[str]:
    """001§6(1): an activity in an explosive area needs explosion-proof recorders. Lists the
    linked recordings' devices that are not, and says when the unit has none at all."""
    profile = profile_for_unit(activity.unit)
    if not activity.explosive_area or profile is None:
        return []
    rule = profile.equipment.explosion_proof_activities
    cite = rule.cite if rule else ""
    problems = []
    devices = {
        link.recording.device
        for link in activity.links.select_related("recording__device")
        if link.recording.device is not None and not link.excluded
    }
    for device in sorted(devices, key=lambda d: d.serial):
        if not (device.specs or {}).get("explosion_proof"):
            problems.append(
                f"设备 {device.serial} 未登记为防爆设备，不得在爆炸危险区域使用（{cite}）"
            )
    has_any = Device.objects.filter(
        unit__path__startswith=activity.unit.path.split(".", 1)[0] + ".",  # the agency's units
        status__in=EQUIPPED,
        specs__explosion_proof=True,
    ).exists()
    if not has_any:
        problems.append(
            f"本单位未配备防爆音像记录设备；依 {cite or '规定'} 可不进行现场记录，但须制作工作记录报主管领导"
        )
    return problems
