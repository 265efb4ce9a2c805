"""Who approves and who carries out a request, from the unit's policy profile (M3, M8).

The chain is a list of roles in order (chengde 001§22: 办公室主任审核 [unit_head, the head of
the 办公室 the profile names], 主管领导批准 [leader]; fuzhou 004§20: 执法单位负责人
[unit_head]), frozen on the request when it is made. Who may decide a step is the approvals
engine's answer (`policies.approvals`, rules `deciding.access`): the role over the request's
unit, cleared for every confidential item in it, not the requester, not a decider of an
earlier step, the case's own 主管领导 for a leader step (001§22: 经案件的局主管领导批准), the
分管领导 above standing in where no unit head could decide. Carrying out is its step too
(`deciding.carry_out`: nobody carries out his own request to view, copy or export — the data
would go to the person releasing it; `deciding.carry_out_preserve` for discs that go to the archive).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from avrecords.access.models import AccessRequest
from avrecords.lib.refusals import Refusal
from avrecords.org.models import Role, Unit, User
from avrecords.policies import approvals
from avrecords.policies.approvals import Step
from avrecords.policies.services import profile_for_unit

if TYPE_CHECKING:
    from avrecords.policies.schema import ApprovalChain, Profile

ROLE_NAMES = dict(Role.choices)


class RequestRefused(Refusal, ValueError):
    """A request or a step on it that cannot be taken (its state, what was asked, who asks);
    the message is Chinese. The API has always answered it 400, and still does."""


def chain_for(kind: str, unit: Unit) -> tuple[Profile, ApprovalChain]:
    profile = profile_for_unit(unit)
    if profile is None:
        raise RequestRefused(
            f"“{unit.name}”未配置执法音像记录规定，无法确定审批流程，请联系系统管理员"
        )
    return profile, profile.approvals.chain(kind)


def describe(roles: list[str], executed_by: str = "") -> str:
    """A chain in words: 单位负责人审批 → 分管领导审批 → 管理员办理."""
    parts = [f"{ROLE_NAMES.get(r, r)}审批" for r in roles]
    if executed_by:
        parts.append(f"{ROLE_NAMES.get(executed_by, executed_by)}办理")
    return " → ".join(parts)


# The attribute `inbox` fills for a whole list with the request's marked recordings
MARKED_RECORDINGS = "marked_recordings"


def _item_marks(req: AccessRequest) -> frozenset[str]:
    marked = getattr(req, MARKED_RECORDINGS, None)
    if marked is not None:  # read for the whole list at once (`inbox`, issue 22 §4)
        marks = {recording.secrecy for recording in marked}
    else:
        marks = set(req.recordings.exclude(secrecy="").values_list("secrecy", flat=True))
    if req.case_id and req.case.secrecy:
        marks.add(req.case.secrecy)
    if req.activity_id and req.activity.secrecy:
        marks.add(req.activity.secrecy)
    return frozenset(marks)


def approval_step(req: AccessRequest, index: int | None = None) -> Step:
    """The request's step (the current one by default) as the approvals engine sees it."""
    return Step(
        unit=req.unit,
        decision=f"access.{req.kind}",
        index=req.step if index is None else index,
        requester_id=req.requester_id,
        # .all(): the steps a list prefetched (`inbox`), else one query
        earlier=tuple(step.approver_id for step in req.steps.all()),
        case_leader=req.case.leader if req.case_id and req.case.leader_id else None,
        marks=_item_marks(req),
        roles=tuple(req.chain),
    )


def carry_out_step(req: AccessRequest) -> Step:
    """Carrying the approved request out (the profile's `executed_by`)."""
    return Step(
        unit=req.unit,
        decision=f"access.{req.kind}.carry_out",
        requester_id=req.requester_id,
        marks=_item_marks(req),
        roles=(req.executed_by_role,),
    )


def why_not_approver(user: User, req: AccessRequest) -> str | None:
    """None if the user may decide the request's current step, else the reason in Chinese."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return f"申请状态为“{req.get_status_display()}”，不能审批"
    return approvals.why_not(user, approval_step(req))


def why_not_executor(user: User, req: AccessRequest) -> str | None:
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.APPROVED:
        return f"申请状态为“{req.get_status_display()}”，不能办理"
    if not req.executed_by_role:
        return "该申请批准后即生效，无需办理"
    return approvals.why_not(user, carry_out_step(req))


def approvers_now(req: AccessRequest):
    """The people who may decide the current step (shown on the page and the 待办)."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return []
    return approvals.deciders(approval_step(req))


def may_decide_role(user: User, req: AccessRequest) -> bool:
    """The role check alone (403 when it fails): a role the chain names, or the one that may
    stand in for it."""
    return any(approvals.holds_role(user, approval_step(req, i)) for i in range(len(req.chain)))
