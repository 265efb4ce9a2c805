"""Reading the unit pages' and the API's inputs into what `agency.units` takes (issue 18 §1):
a unit picked by id is one the user may see (`Unit.objects.visible_to`), else the field is
refused in Chinese, as a service would refuse it."""

from __future__ import annotations

from avrecords.lib.refusals import Invalid
from avrecords.org.models import Unit

# The field each form input is for, in the order the page lists them.
FIELDS = ("name", "code", "parent", "field_squad", "profile", "reason")


def parent_of(user, raw, *, field: str = "parent") -> Unit | None:
    """The unit `raw` (an id; "" or None: no parent) names, within the user's sight."""
    if raw in (None, ""):
        return None
    unit = Unit.objects.visible_to(user).filter(pk=_int(raw)).first()
    if unit is None:
        raise Invalid(fields={field: "所选上级单位不存在"})
    return unit


def checked(raw) -> bool:
    """A checkbox's or a JSON value's yes."""
    return str(raw).strip().lower() in {"1", "on", "true", "yes", "是"}


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
