"""Who may administer the agency (issue 18 §1): system administrators everything; a unit's
administrator (设备及音像资料管理员) the people of his subtree where his unit's profile allows it
(`people_managed_by_unit_admins`). The rows he may touch are always read through the one scope
rule (`User.objects.visible_to`, `Unit.objects.visible_to`)."""

from __future__ import annotations

from avrecords.org.scope import sees_everything


def can_manage_units(user) -> bool:
    """Create, rename, move and retire units; name the office a profile asks for."""
    return bool(user.is_authenticated and sees_everything(user))


def can_manage_people(user) -> bool:
    """Add and edit people, reset passwords, import and export the roster."""
    return bool(user.is_authenticated and sees_everything(user))


def can_set_up(user) -> bool:
    """The first-run checklist and the roles page."""
    return bool(user.is_authenticated and sees_everything(user))
