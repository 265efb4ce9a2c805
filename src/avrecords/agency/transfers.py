"""Moving a person to another unit of the agency (调动, E5; issue 18 §1).

Moving a person keeps who recorded what and moves only what the rules say moves: the transfer
is a clearance (`compliance.clearance`) that names the destination unit. Its checklist runs as
for any clearance — his devices and accessories back, his recordings handed to a successor
(they keep their officer and their unit and gain a keeper), his pending findings passed on —
and completing it moves him to the destination and keeps his account active. A departure
(离职) still disables the account; so does a transfer out of the agency (no unit named).

Started here, from the person's page, by those who administer people; followed and completed
on the clearance's own page (/equipment/clearances/<id>/).
"""

from __future__ import annotations

from avrecords.agency.permissions import can_manage_people
from avrecords.compliance import clearance
from avrecords.equipment.models import Clearance, ClearanceKind, ClearanceStatus
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.models import Unit, User

NOT_ALLOWED = "您无权管理人员"


def destinations(actor, person: User):
    """Units he may be moved to: those the actor sees, not retired, not his own."""
    return (
        Unit.objects.visible_to(actor)
        .filter(retired_at__isnull=True)
        .exclude(pk=person.unit_id)
        .order_by("path")
    )


def successors(actor, person: User):
    """Who may take over his recordings and findings: active people the actor sees, not
    himself (the clearance refuses one who is himself being cleared)."""
    return (
        User.objects.visible_to(actor)
        .filter(is_active=True, unit__isnull=False)
        .exclude(pk=person.pk)
        .select_related("unit")
        .order_by("unit__path", "full_name", "username")
    )


def _pick(qs, value, field: str, reason: str):
    if value in (None, ""):
        raise Invalid(fields={field: reason})
    try:
        return qs.get(pk=int(getattr(value, "pk", value)))
    except (TypeError, ValueError, qs.model.DoesNotExist):
        raise Invalid(fields={field: reason}) from None


def start_transfer(actor, person: User, *, to_unit, successor, reason: str = "") -> Clearance:
    """Opens the transfer's clearance. `to_unit` and `successor` are objects or ids. Refused:
    Forbidden without the right to administer people, NotFound for a person out of his scope,
    Invalid naming the field (请选择…, a retired or unknown unit), Conflict (ClearanceError)
    for a state that does not allow it (already being cleared, a successor not on duty)."""
    if not can_manage_people(actor):
        raise Forbidden(NOT_ALLOWED)
    person = User.objects.get_visible(actor, person.pk)
    errors: dict[str, str] = {}
    unit = successor_obj = None
    try:
        unit = _pick(Unit.objects.visible_to(actor), to_unit, "to_unit", "请选择调入单位")
    except Invalid as exc:
        errors |= exc.fields
    try:
        successor_obj = _pick(
            successors(actor, person), successor, "successor", "请选择资料交接人（在岗人员）"
        )
    except Invalid as exc:
        errors |= exc.fields
    if unit is not None and unit.retired_at is not None:
        errors["to_unit"] = f"{unit.name}已撤销，不能调入"
    elif unit is not None and unit.pk == person.unit_id:
        errors["to_unit"] = f"{person.display_name} 已在{unit.name}"
    if errors:
        raise Invalid(fields=errors)
    return clearance.start(
        actor,
        person,
        ClearanceKind.TRANSFER,
        successor_obj,
        reason=reason or f"调入{unit.name}",
        to_unit=unit,
    )


def open_clearance(person: User) -> Clearance | None:
    """His clearance in progress, if any (one at most)."""
    return (
        Clearance.objects.filter(person=person, status=ClearanceStatus.OPEN)
        .select_related("successor", "to_unit", "unit")
        .first()
    )
