"""Which requests a person sees, must decide and must carry out (M8, X2)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from avrecords.access.chain import why_not_approver, why_not_executor
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.org.scope import has_unit_scope, sees_everything, uncleared_marks, unit_q


def visible_requests(user) -> QuerySet[AccessRequest]:
    """A person's own requests; unit roles also those of their units; sysadmin all. A request
    naming a recording, case or activity marked for a secrecy the person is not cleared for
    stays hidden from him (M9: the request shows their names), unless it is his own."""
    qs = AccessRequest.objects.select_related("requester", "unit", "case", "activity", "executor")
    if not user.is_authenticated:
        return qs.none()
    own = Q(requester=user)
    if not sees_everything(user):
        if not has_unit_scope(user):
            return qs.filter(own)
        qs = qs.filter(unit_q(user) | own)
    if hidden := uncleared_marks(user):
        marked = AccessRequest.objects.filter(
            Q(recordings__secrecy__in=hidden)
            | Q(case__secrecy__in=hidden)
            | Q(activity__secrecy__in=hidden)
        )
        qs = qs.filter(~Q(pk__in=marked.values("pk")) | own)
    return qs


def to_approve(user) -> list[AccessRequest]:
    """Pending requests whose current step this person may decide now."""
    if not has_unit_scope(user):
        return []
    pending = visible_requests(user).filter(status=RequestStatus.PENDING)
    return [r for r in pending if why_not_approver(user, r) is None]


def to_execute(user) -> list[AccessRequest]:
    if not has_unit_scope(user):
        return []
    approved = visible_requests(user).filter(
        status=RequestStatus.APPROVED, executed_by_role=user.role
    )
    return [r for r in approved if why_not_executor(user, r) is None]


def todo_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return len(to_approve(user)) + len(to_execute(user))
