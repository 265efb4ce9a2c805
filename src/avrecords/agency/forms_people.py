"""The person form (issue 18 §1): what the page posts, as `agency.people` takes it, and a
person's record as the form shows it. Units come as ids; the service decides whether the
actor may choose them."""

from __future__ import annotations

from collections.abc import Mapping

from avrecords.org.models import Role, Secrecy, Unit, User
from avrecords.org.scope import MARKS

TEXT_FIELDS = ("username", "full_name", "badge_no", "officer_no", "role", "phone")
UNKNOWN_UNIT = "所选单位不存在或不在您的管理范围内"


def _ids(values) -> list[int] | None:
    try:
        return [int(v) for v in values if str(v).strip()]
    except (TypeError, ValueError):
        return None


def read_person(data) -> tuple[dict, dict[str, str]]:
    """(fields for `people.create_person`/`update_person`, reasons the form itself finds).
    Supervised units count only for a 监督人员 (the form says so beside them): for anyone
    else the boxes are read as none, so changing a supervisor's role clears them."""
    fields: dict = {name: data.get(name, "") for name in TEXT_FIELDS}
    errors: dict[str, str] = {}
    unit_id = (data.get("unit") or "").strip()
    fields["unit"] = None
    if unit_id:
        ids = _ids([unit_id])
        unit = Unit.objects.filter(pk=ids[0]).first() if ids else None
        if unit is None:
            errors["unit"] = UNKNOWN_UNIT
        fields["unit"] = unit
    fields["secrecy_clearances"] = list(data.getlist("secrecy_clearances"))
    wanted = _ids(data.getlist("supervised_units"))
    units = list(Unit.objects.filter(pk__in=wanted)) if wanted else []
    if wanted is None or len(units) != len(set(wanted)):
        errors["supervised_units"] = "所选监督单位不存在或不在您的管理范围内"
    fields["supervised_units"] = units if fields["role"] == Role.SUPERVISOR else []
    return fields, errors


def values_of(person: User) -> dict:
    """The person's record as the form's values (strings; lists for the check boxes)."""
    values = {name: getattr(person, name) or "" for name in TEXT_FIELDS}
    values["unit"] = str(person.unit_id or "")
    values["secrecy_clearances"] = list(person.secrecy_clearances or [])
    values["supervised_units"] = [
        str(pk) for pk in person.supervised_units.values_list("pk", flat=True)
    ]
    return values


def posted_values(data: Mapping) -> dict:
    """What was posted, to show again beside the reasons."""
    values = {name: data.get(name, "") for name in (*TEXT_FIELDS, "unit")}
    values["secrecy_clearances"] = list(data.getlist("secrecy_clearances"))
    values["supervised_units"] = list(data.getlist("supervised_units"))
    return values


def unit_choices(actor, *, keep: int | None = None) -> list[tuple[int, str]]:
    """(id, name indented by depth) of the units a person may be placed in: those the actor
    sees and not retired (the person's own retired unit stays listed so the form shows it)."""
    units = Unit.objects.visible_to(actor)
    return [
        (u.pk, "　" * u.depth + u.name)
        for u in units
        if u.retired_at is None or (keep is not None and u.pk == keep)
    ]


def clearance_choices() -> list[tuple[str, str]]:
    return [(mark, Secrecy(mark).label) for mark in MARKS]
