"""The 采集站 pages' inputs as `stations.services` takes them (issue 19 §1): a unit and a 负责人
picked by id are looked up within the user's sight (`visible_to`, the one scope rule), else the
field is refused in Chinese as a service would refuse it; the service still decides whether
the choice is allowed (a live unit, an administrator of that unit's scope)."""

from __future__ import annotations

from avrecords.lib.refusals import Invalid
from avrecords.org.models import Unit, User
from avrecords.stations import services as svc
from avrecords.stations.services import HANDLING_NOTE_MAX_CHARS, RESPONSIBLE_ROLES

# The fields of the register and edit forms, in the order the page shows them.
FIELDS = ("name", "unit", "location", "responsible", "note")
# The bounds the pages' inputs carry (maxlength): the service's own.
LIMITS = {
    "name": svc.NAME_MAX_CHARS,
    "location": svc.LOCATION_MAX_CHARS,
    "note": svc.NOTE_MAX_CHARS,
    "handling": HANDLING_NOTE_MAX_CHARS,
}

# How a refused camera was dealt with (the radio buttons of the station page).
HANDLED_REGISTERED = "registered"
HANDLED_RETURNED = "returned"
HANDLED_OTHER = "other"
HANDLINGS = {
    HANDLED_REGISTERED: "设备已登记",
    HANDLED_RETURNED: "非本单位设备已退回",
    HANDLED_OTHER: "其他",
}


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def unit_choices(user, current: Unit | None = None):
    """Units in service the user may see (and the station's own, retired or not)."""
    units = Unit.objects.visible_to(user).filter(retired_at__isnull=True)
    if current is not None:
        units = units | Unit.objects.filter(pk=current.pk)
    return units.distinct().order_by("path")


def responsible_choices(user, current: User | None = None):
    """Active administrators the user may see (and the station's present 负责人)."""
    people = User.objects.visible_to(user).filter(is_active=True, role__in=RESPONSIBLE_ROLES)
    if current is not None:
        people = people | User.objects.filter(pk=current.pk)
    return people.distinct().select_related("unit").order_by("unit__path", "full_name", "pk")


def unit_of(user, raw) -> Unit | None:
    if raw in (None, ""):
        return None
    unit = Unit.objects.visible_to(user).filter(pk=_int(raw)).first()
    if unit is None:
        raise Invalid(fields={"unit": "所选单位不存在或不在您的管理范围内"})
    return unit


def responsible_of(user, raw) -> User | None:
    if raw in (None, ""):
        return None
    person = User.objects.visible_to(user).filter(pk=_int(raw)).first()
    if person is None:
        raise Invalid(fields={"responsible": "所选负责人不存在或不在您的管理范围内"})
    return person


def read_station(user, data) -> dict:
    """The form's fields as the service's keyword arguments (`Invalid` naming a field whose
    unit or person cannot be found)."""
    fields = {
        "name": data.get("name", ""),
        "location": data.get("location", ""),
        "note": data.get("note", ""),
    }
    errors: dict[str, str] = {}
    for name, read in (("unit", unit_of), ("responsible", responsible_of)):
        try:
            fields[name] = read(user, data.get(name))
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)
    return fields


def values_of(station) -> dict:
    """A station's record as the edit form's values (strings)."""
    return {
        "name": station.name,
        "unit": str(station.unit_id or ""),
        "location": station.location or "",
        "responsible": str(station.responsible_id or ""),
        "note": station.note or "",
    }


def handling_note(data) -> str:
    """The handling of a refused camera as one sentence ("其他：…" with the explanation)."""
    how = data.get("how", "")
    said = (data.get("explanation") or "").strip()
    if how not in HANDLINGS:
        raise Invalid(fields={"how": "请选择处理方式"})
    if how == HANDLED_OTHER and not said:
        raise Invalid(fields={"explanation": "选择“其他”时请写明如何处理"})
    note = f"{HANDLINGS[how]}：{said}" if said else HANDLINGS[how]
    if len(note) > HANDLING_NOTE_MAX_CHARS:
        limit = HANDLING_NOTE_MAX_CHARS - len(HANDLINGS[how]) - 1
        raise Invalid(fields={"explanation": f"说明最多 {limit} 个字"})
    return note
