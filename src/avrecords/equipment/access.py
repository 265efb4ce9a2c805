"""Device scope helpers for the equipment ledger (X2 applied to E1–E7).

Which devices and people a user may see is the models' scope rule
(`Device.objects.visible_to(user)`, `User.objects.visible_to(user)`): unit roles the devices
of their unit's subtree, system administrators all, an officer the devices he holds now or
has held. Anything else is answered 404 by the pages."""

from __future__ import annotations

from django.db.models import Q

from avrecords.equipment.models import Device, DeviceKind, DeviceStatus
from avrecords.org.models import Unit
from avrecords.org.scope import has_unit_scope, in_unit_scope, sees_everything


def device_in_unit_scope(user, device: Device) -> bool:
    """The device belongs to a unit the user administers (not merely one he once held)."""
    if sees_everything(user):
        return True
    return has_unit_scope(user) and in_unit_scope(user, device.unit)


def held_by(device: Device, user) -> bool:
    return device.custodies.filter(holder=user, ended_at__isnull=True).exists()


__all__ = ["device_in_unit_scope", "held_by"]


def unit_choices(user) -> list[tuple[str, str]]:
    """(code, name indented by depth) of the user's units, for filters and selectors."""
    return [(u.code, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)]


def filter_devices(user, params):
    """The device list's filters (unit code, kind, status, q) over the user's devices."""
    qs = Device.objects.visible_to(user)
    if code := params.get("unit", ""):  # the unit and the units below it
        path = Unit.objects.filter(code=code).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__startswith=path) if path else qs.none()
    if (kind := params.get("kind")) in DeviceKind.values:
        qs = qs.filter(kind=kind)
    if (status := params.get("status")) in DeviceStatus.values:
        qs = qs.filter(status=status)
    if q := params.get("q", "").strip():
        qs = qs.filter(
            Q(serial__icontains=q)
            | Q(asset_no__icontains=q)
            | Q(brand_model__icontains=q)
            | Q(custodies__holder__full_name__icontains=q, custodies__ended_at__isnull=True)
        ).distinct()
    return qs
