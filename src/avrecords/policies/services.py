"""Every change to profiles, unit assignments and the holiday table (X3, M1), audited (X1).

Built-in profiles (`builtin/*.yaml`, one per agency of `../shared/regulations`) are read-only
in the product and follow it: each migrate brings their rows up to date. An administrator
who wants other numbers exports one, edits it and imports it under a new code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from django.db import transaction

from avrecords import events
from avrecords.audit.services import record
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.lib.workdays import Calendar, Override
from avrecords.org.models import Unit
from avrecords.policies.models import HolidayOverride, PolicyProfile, UnitPolicy

if TYPE_CHECKING:
    # the schema (pydantic) is imported where a profile is parsed: not every command's
    # start-up, which loads this module with the apps (issue 22 §1)
    from avrecords.policies.schema import Profile

log = logging.getLogger(__name__)

MAX_SOURCE_BYTES = 256 * 1024
_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的字段",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "string_type": "须为文字",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不对（须为小写英文字母、数字和下划线，以字母开头）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than_equal": "须不大于 {le}",
    "too_short": "至少须有 {min_length} 项",
    "list_type": "须为列表",
    "model_type": "须为“键: 值”形式的映射",
    "dict_type": "须为“键: 值”形式的映射",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
}


class ProfileInvalid(Invalid, ValueError):
    """A profile document that cannot be used; `errors` are Chinese, one per field, each
    "field：reason" where the reason belongs to a field."""

    api_prefix = "策略未保存："
    reasons_name_fields = True  # {"field": "staffing.officers_per_camera", "message": …}

    def __init__(self, errors: list[str]) -> None:
        super().__init__(reasons=errors)
        self.errors = errors


class ProfileReadOnly(Forbidden, PermissionError):
    """A built-in profile: nobody changes it (403)."""

    api_prefix = "无权修改："


def _field(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item + 1}]")
        else:
            parts.append(("." if parts else "") + ("copy" if item == "copy_" else str(item)))
    return "".join(parts) or "（整个文件）"


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    template = _MESSAGES.get(kind)
    if template is None:
        return error["msg"]
    ctx = {k: str(v).replace("'", "") for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except KeyError:
        return template


def load_yaml(text: str):
    """The document in `text`, read with libyaml's safe loader when PyYAML is built with it
    (PyYAML's own took 0.2 s of every command's start-up here); PyYAML is imported here, not
    with the apps (issue 22 §1)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def parse(text: str) -> Profile:
    """A validated profile from YAML text, or ProfileInvalid naming each wrong field."""
    import yaml
    from pydantic import ValidationError

    from avrecords.policies.schema import Profile

    if len(text.encode()) > MAX_SOURCE_BYTES:
        raise ProfileInvalid([f"文件过大（上限 {MAX_SOURCE_BYTES // 1024} KB）"])
    try:
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "文件"
        raise ProfileInvalid([f"YAML 格式错误：{where}（{getattr(exc, 'problem', exc)}）"]) from exc
    if not isinstance(document, dict):
        raise ProfileInvalid(["YAML 文件须是一个“键: 值”映射（以 code: 开头）"])
    try:
        return Profile.model_validate(document)
    except ValidationError as exc:
        raise ProfileInvalid(
            [f"{_field(e['loc'])}：{_message(e)}" for e in exc.errors(include_url=False)]
        ) from exc


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- built-in profiles -------------------------------------------------------------------


def builtin_sources() -> dict[str, str]:
    folder = resources.files("avrecords.policies") / "builtin"
    return {
        entry.name.removesuffix(".yaml"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }


def sync_builtin() -> list[str]:
    """Create or update the shipped profiles; returns the codes that changed."""
    changed = []
    for code, text in builtin_sources().items():
        profile = parse(text)
        if profile.code != code:
            raise ProfileInvalid([f"builtin/{code}.yaml 的 code 是 {profile.code}"])
        row = PolicyProfile.objects.filter(code=code).first()
        if row is not None and row.source == text and row.builtin:
            continue
        PolicyProfile.objects.update_or_create(
            code=code,
            defaults={
                "name": profile.name,
                "builtin": True,
                "source": text,
                "data": profile.model_dump(mode="json", by_alias=True),
            },
        )
        changed.append(code)
    if changed:
        log.info("built-in policy profiles updated: %s", ", ".join(changed))
    return changed


def sync_builtin_after_migrate(**kwargs) -> None:
    sync_builtin()


# --- profiles made by administrators -------------------------------------------------------


@transaction.atomic
def save_profile(actor, text: str, *, replace: str | None = None) -> PolicyProfile:
    """Create a profile from YAML, or replace profile `replace` (its code may not change)."""
    profile = parse(text)
    data = profile.model_dump(mode="json", by_alias=True)
    if replace is None:
        if PolicyProfile.objects.filter(code=profile.code).exists():
            raise ProfileInvalid([f"code：策略代码“{profile.code}”已存在，请换一个代码"])
        row = PolicyProfile.objects.create(
            code=profile.code, name=profile.name, source=text, data=data, updated_by=actor
        )
        record(
            "policy.create",
            actor=actor,
            obj=row,
            summary=f"新建策略 {row}",
            detail={"code": row.code, "sha256": _digest(text)},
        )
        return row
    row = PolicyProfile.objects.select_for_update().get(code=replace)
    if row.builtin:
        raise ProfileReadOnly("随产品提供的策略不能修改；请导出后改用新的代码导入")
    if profile.code != row.code:
        raise ProfileInvalid([f"code：修改时不能更改策略代码（应为 {row.code}）"])
    before = _digest(row.source)
    sections = sorted(k for k in data if data[k] != row.data.get(k))
    row.name, row.source, row.data, row.updated_by = profile.name, text, data, actor
    row.save()
    record(
        "policy.update",
        actor=actor,
        obj=row,
        summary=f"修改策略 {row}：{'、'.join(sections) or '仅格式'}",
        detail={"code": row.code, "before": before, "after": _digest(text), "sections": sections},
    )
    return row


# --- which profile applies to a unit --------------------------------------------------------


def _ancestor_ids(unit: Unit) -> list[int]:
    """The unit and its ancestors, nearest first (from the materialised path)."""
    return [int(p) for p in reversed(unit.path.rstrip(".").split("."))]


# Within `assignments_read_once`, each unit's answer of `assignment_of` by unit id
_known_assignments: ContextVar[dict[int, tuple] | None] = ContextVar(
    "known_assignments", default=None
)


def _nearest(unit: Unit, found: dict[int, UnitPolicy]) -> tuple[PolicyProfile | None, Unit | None]:
    for pk in _ancestor_ids(unit):
        if pk in found:
            return found[pk].profile, found[pk].unit
    return None, None


def _read_assignments(units: list[Unit]) -> dict[int, UnitPolicy]:
    ids = {pk for unit in units for pk in _ancestor_ids(unit)}
    return {
        p.unit_id: p
        for p in UnitPolicy.objects.filter(unit_id__in=ids).select_related("profile", "unit")
    }


def assignment_of(unit: Unit) -> tuple[PolicyProfile | None, Unit | None]:
    """(profile, the unit it is assigned on): the unit's own or the nearest ancestor's."""
    known = _known_assignments.get()
    if known is not None and unit.pk in known:
        return known[unit.pk]
    answer = _nearest(unit, _read_assignments([unit]))
    if known is not None:
        known[unit.pk] = answer
    return answer


def profiles_for_units(units) -> dict[int, Profile | None]:
    """Each unit's profile by unit id (as `profile_for_unit`), read in one query: a list page
    asks for many rows' units at once (issue 22 §4)."""
    units = list({unit.pk: unit for unit in units}.values())
    found = _read_assignments(units) if units else {}
    answers = {unit.pk: _nearest(unit, found) for unit in units}
    return {pk: (row.profile if row is not None else None) for pk, (row, _) in answers.items()}


@contextmanager
def assignments_read_once(units=()) -> Iterator[None]:
    """Within the block, `assignment_of` (hence `profile_for_unit`) reads each unit's assignment
    once, and those of `units` together in one query: a page deciding many rows (the 待我审批
    count, issue 22 §4) asks in a fixed number of queries. For reading only: an assignment
    changed inside the block is not seen."""
    if _known_assignments.get() is not None:  # an outer block already remembers
        yield
        return
    units = list({unit.pk: unit for unit in units}.values())
    found = _read_assignments(units) if units else {}
    token = _known_assignments.set({unit.pk: _nearest(unit, found) for unit in units})
    try:
        yield
    finally:
        _known_assignments.reset(token)


def profile_for_unit(unit: Unit | None) -> Profile | None:
    if unit is None:
        return None
    row, _ = assignment_of(unit)
    return row.profile if row is not None else None


@transaction.atomic
def assign(actor, unit: Unit, profile: PolicyProfile | None) -> None:
    """Give `unit` (and its subtree, unless they have their own) a profile; None = inherit."""
    current = UnitPolicy.objects.filter(unit=unit).select_related("profile").first()
    before = current.profile.code if current else None
    after = profile.code if profile else None
    if before == after:
        return
    if profile is None:
        current.delete()
    else:
        UnitPolicy.objects.update_or_create(unit=unit, defaults={"profile": profile})
    events.PROFILE_ASSIGNED.send(unit=unit, profile=profile, actor=actor)  # compliance follows
    record(
        "policy.assign",
        actor=actor,
        obj=unit,
        summary=f"{unit.name} 适用策略：{profile.name if profile else '继承上级'}",
        detail={"before": before, "after": after},
    )


# --- the working-day calendar ------------------------------------------------------------


def calendar() -> Calendar:
    """The official calendar with the administrators' entries laid over it."""
    return Calendar(
        {
            row.day: Override(row.workday, row.name)
            for row in HolidayOverride.objects.all().only("day", "workday", "name")
        }
    )


@transaction.atomic
def set_holiday(actor, day: dt.date, *, workday: bool, name: str = "") -> HolidayOverride:
    row, created = HolidayOverride.objects.update_or_create(
        day=day, defaults={"workday": workday, "name": name.strip()[:50], "entered_by": actor}
    )
    record(
        "calendar.set",
        actor=actor,
        obj=row,
        summary=f"{day} 设为{'上班' if workday else '休息'}{('：' + row.name) if row.name else ''}",
        detail={"day": day.isoformat(), "workday": workday, "name": row.name, "new": created},
    )
    return row


@transaction.atomic
def remove_holiday(actor, day: dt.date) -> bool:
    row = HolidayOverride.objects.filter(day=day).first()
    if row is None:
        return False
    record(
        "calendar.remove",
        actor=actor,
        obj=row,
        summary=f"删除 {day} 的节假日调整",
        detail={"day": day.isoformat(), "workday": row.workday, "name": row.name},
    )
    row.delete()
    return True


@dataclass(frozen=True)
class YearStatus:
    year: int
    source: str  # override | library | weekends
    label: str


def year_status(years: list[int]) -> list[YearStatus]:
    cal = calendar()
    labels = {
        "override": "管理员已录入",
        "library": "国务院办公厅公布的安排（chinese-calendar）",
        "weekends": "尚无数据：暂按周一至周五计算，请录入",
    }
    return [YearStatus(y, cal.source(y), labels[cal.source(y)]) for y in years]
