"""Who may do what with retention (M5, S1), from the unit's profile and the unit tree (X2).

Holds are placed by the unit roles and supervisors within scope; the profile's
`retention.reviewed_by` (档案管理员) reviews disposal lists; its `retention.approved_by`
(分管领导) approves disposal, shortening and the release of a hold — never the person who
asked, and only within his scope."""

from __future__ import annotations

from avrecords.org.models import Role, Unit
from avrecords.org.scope import in_unit_scope, scope_roots, sees_everything
from avrecords.policies.services import profile_for_unit

HOLD_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.ARCHIVIST}
READ_ROLES = HOLD_ROLES
ROLE_NAMES = dict(Role.choices)


class Refused(ValueError):
    """A retention step that cannot be taken; the message is Chinese."""


def can_read(user) -> bool:
    """The retention pages: unit roles, supervisors and archivists; system administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in READ_ROLES)


def can_place_hold(user, unit: Unit | None = None) -> bool:
    if not user.is_authenticated or user.role not in HOLD_ROLES:
        return False
    return unit is None or in_unit_scope(user, unit)


def _role(unit: Unit, which: str) -> str:
    profile = profile_for_unit(unit)
    if profile is None:
        raise Refused(f"“{unit.name}”未配置执法音像记录规定，无法确定审批人，请联系系统管理员")
    return getattr(profile.retention, which)


def approver_role(unit: Unit) -> str:
    return _role(unit, "approved_by")


def reviewer_role(unit: Unit) -> str:
    return _role(unit, "reviewed_by")


def check_decider(user, unit: Unit, which: str, requester_id: int | None) -> None:
    """Raise Refused unless the user holds the profile's role for this step over the unit."""
    role = _role(unit, which)
    if not user.is_active or user.role != role or not scope_roots(user):
        raise Refused(f"须由{ROLE_NAMES.get(role, role)}办理")
    if not in_unit_scope(user, unit):
        raise Refused("该事项不在您的管辖范围内")
    if requester_id is not None and user.pk == requester_id:
        raise Refused("不能审批本人提出的申请")


def may_decide(user, unit: Unit, which: str, requester_id: int | None) -> bool:
    try:
        check_decider(user, unit, which, requester_id)
    except Refused:
        return False
    return True
