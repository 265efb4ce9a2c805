"""Which requests a person sees, must decide and must carry out (M8, X2).

The 待我审批 and 待我办理 lists ask the approvals engine about each request (its rules are
too many to say in SQL), but read what it needs for the whole list at once: the requests with
their units, cases and case leaders, their approval steps and their marked recordings in three
queries, and each unit's profile, named office and each role's holders once
(`approvals.many_steps`). The number of queries does not grow with the requests (issue 22 §4).
"""

from __future__ import annotations

from django.db.models import Prefetch

from avrecords.access.chain import MARKED_RECORDINGS, why_not_approver, why_not_executor
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.org.scope import has_unit_scope
from avrecords.policies import approvals
from avrecords.recordings.models import Recording


def _with_facts(requests) -> list[AccessRequest]:
    """The requests with what the engine asks about each read for all of them."""
    return list(
        requests.select_related("case__leader").prefetch_related(
            "steps",
            Prefetch(
                "recordings",
                queryset=Recording.objects.exclude(secrecy="").only("pk", "secrecy"),
                to_attr=MARKED_RECORDINGS,
            ),
        )
    )


def to_approve(user) -> list[AccessRequest]:
    """Pending requests whose current step this person may decide now."""
    if not has_unit_scope(user):
        return []
    pending = _with_facts(
        AccessRequest.objects.visible_to(user).filter(status=RequestStatus.PENDING)
    )
    with approvals.many_steps(r.unit for r in pending):
        return [r for r in pending if why_not_approver(user, r) is None]


def to_execute(user) -> list[AccessRequest]:
    if not has_unit_scope(user):
        return []
    approved = _with_facts(
        AccessRequest.objects.visible_to(user).filter(
            status=RequestStatus.APPROVED, executed_by_role=user.role
        )
    )
    with approvals.many_steps(r.unit for r in approved):
        return [r for r in approved if why_not_executor(user, r) is None]
