"""Who may administer the agency (issue 18 §1): system administrators everything; a unit's
administrator (设备及音像资料管理员) the people of his subtree where his unit's profile allows it
(`personnel.managed_by_unit_admins`). The rows he may touch are always read through the one scope
rule (`User.objects.visible_to`, `Unit.objects.visible_to`)."""

from __future__ import annotations

from avrecords.org.models import Role
from avrecords.org.scope import sees_everything
from avrecords.policies.services import profile_for_unit


def can_manage_units(user) -> bool:
    """Create, rename, move and retire units; name the office a profile asks for."""
    return bool(user.is_authenticated and sees_everything(user))


def manages_everyone(user) -> bool:
    """A system administrator: every person, every role, every clearance."""
    return bool(user.is_authenticated and sees_everything(user))


def can_manage_people(user) -> bool:
    """Add and edit people, reset passwords, import and export the roster: system
    administrators; a 设备及音像资料管理员 where his unit's profile gives unit administrators the
    people (`personnel.managed_by_unit_admins`), then those of his subtree only (the services
    read them through `User.objects.visible_to`). Asked once per request (cached on the user)."""
    if not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    if user.role != Role.ADMIN or not user.unit_id:
        return False
    cached = getattr(user, "_manages_people", None)
    if cached is None:
        profile = profile_for_unit(user.unit)
        cached = bool(profile and profile.personnel.managed_by_unit_admins)
        user._manages_people = cached
    return cached


def can_set_up(user) -> bool:
    """The first-run checklist and the roles page."""
    return bool(user.is_authenticated and sees_everything(user))
