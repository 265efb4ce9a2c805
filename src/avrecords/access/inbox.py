"""Which requests a person sees, must decide and must carry out (M8, X2)."""

from __future__ import annotations

from avrecords.access.chain import why_not_approver, why_not_executor
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.org.scope import has_unit_scope


def to_approve(user) -> list[AccessRequest]:
    """Pending requests whose current step this person may decide now."""
    if not has_unit_scope(user):
        return []
    pending = AccessRequest.objects.visible_to(user).filter(status=RequestStatus.PENDING)
    return [r for r in pending if why_not_approver(user, r) is None]


def to_execute(user) -> list[AccessRequest]:
    if not has_unit_scope(user):
        return []
    approved = AccessRequest.objects.visible_to(user).filter(
        status=RequestStatus.APPROVED, executed_by_role=user.role
    )
    return [r for r in approved if why_not_executor(user, r) is None]
