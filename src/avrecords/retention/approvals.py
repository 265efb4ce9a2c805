"""Who may do what with retention (M5, S1), from the unit's profile and the unit tree (X2).

Holds are placed by the unit roles and supervisors within scope; the profile's
`retention.reviewed_by` (档案管理员) reviews disposal lists; its `retention.approved_by`
(分管领导) approves disposal, shortening and the release of a hold — never the person who
asked, and only within his scope. Who may decide is the approvals engine's answer
(`policies.approvals`); `check_decider` and `may_decide` keep the names the retention services,
pages and API call."""

from __future__ import annotations

from avrecords.lib.refusals import Conflict, Invalid
from avrecords.org.models import Role, Unit
from avrecords.org.scope import in_unit_scope, sees_everything
from avrecords.policies import approvals

HOLD_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.ARCHIVIST}
READ_ROLES = HOLD_ROLES
ROLE_NAMES = dict(Role.choices)


class Refused(Conflict, ValueError):
    """A retention step that cannot be taken now (409: the list's, hold's or request's state;
    also a missing reason or an approver the rules refuse); the message is Chinese. The pages
    show it on the object's page with status 400, nothing changed."""


class RefusedInput(Invalid, Refused):
    """What was submitted cannot be used (422); every reason at once."""

    api_prefix = "未办理："

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons=reasons)


def can_read(user) -> bool:
    """The retention pages: unit roles, supervisors and archivists; system administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in READ_ROLES)


def can_place_hold(user, unit: Unit | None = None) -> bool:
    if not user.is_authenticated or user.role not in HOLD_ROLES:
        return False
    return unit is None or in_unit_scope(user, unit)


def _role(unit: Unit, which: str) -> str:
    role = approvals.role_of(_step(unit, which, None))
    if not role:
        raise Refused(f"“{unit.name}”未配置执法音像记录规定，无法确定审批人，请联系系统管理员")
    return role


def approver_role(unit: Unit) -> str:
    return _role(unit, "approved_by")


def reviewer_role(unit: Unit) -> str:
    return _role(unit, "reviewed_by")


def _step(unit: Unit, which: str, requester_id: int | None) -> approvals.Step:
    """`reviewed_by` is the disposal review; `approved_by` approves a disposal list (its
    reviewer is the one who asked), a shortening or the release of a hold."""
    decision = {"reviewed_by": "retention.review", "approved_by": "retention.approve"}[which]
    return approvals.Step(unit=unit, decision=decision, requester_id=requester_id)


def check_decider(user, unit: Unit, which: str, requester_id: int | None) -> None:
    """Raise Refused unless the approvals engine lets the user take this step over the unit
    (the profile's `retention.<which>` role, rules `deciding.retention`)."""
    if why := approvals.why_not(user, _step(unit, which, requester_id)):
        raise Refused(why)


def may_decide(user, unit: Unit, which: str, requester_id: int | None) -> bool:
    return user.is_authenticated and approvals.may_decide(user, _step(unit, which, requester_id))
