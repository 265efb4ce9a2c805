"""Who approves and who carries out a request, from the unit's policy profile (M3, M8).

The chain is a list of roles in order (chengde 001§22: 办公室主任审核 [unit_head], 主管领导批准
[leader]; fuzhou 004§20: 执法单位负责人 [unit_head]). A step may be decided by an active person
holding exactly that role whose unit scope covers the request's unit, who is cleared for every
confidential item in it, who is not the requester and who has not decided an earlier step of
the same request (two steps are two people). Where the request concerns a case with a named
主管领导, the leader's step is his (001§22: 经案件的局主管领导批准). Where no unit head could
decide a unit-head step, the 分管领导 above stands in. Nobody carries out his own request
to view, copy or export: the data would go to the person releasing it.
"""

from __future__ import annotations

from avrecords.access.models import AccessRequest, RequestKind
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import cleared_for, in_unit_scope, scope_roots
from avrecords.policies.schema import ApprovalChain, Profile
from avrecords.policies.services import profile_for_unit

ROLE_NAMES = dict(Role.choices)
# The requester would hand himself the data: someone else must carry these out
SELF_SERVED = (RequestKind.VIEW, RequestKind.COPY, RequestKind.EXPORT)


class RequestRefused(ValueError):
    """A request or a step on it that cannot be taken; the message is Chinese."""


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


def _item_marks(req: AccessRequest) -> set[str]:
    marks = set(req.recordings.exclude(secrecy="").values_list("secrecy", flat=True))
    if req.case_id and req.case.secrecy:
        marks.add(req.case.secrecy)
    if req.activity_id and req.activity.secrecy:
        marks.add(req.activity.secrecy)
    return marks


def _covers(user: User, req: AccessRequest) -> bool:
    return (
        user.is_active
        and bool(scope_roots(user))
        and in_unit_scope(user, req.unit)
        and all(cleared_for(user, mark) for mark in _item_marks(req))
    )


def _may_hold_step(user: User, req: AccessRequest) -> bool:
    """Everything but the role: another person, not yet a decider, covering the request."""
    return (
        user.pk != req.requester_id
        and not req.steps.filter(approver=user).exists()
        and _covers(user, req)
    )


def _no_unit_head_for(req: AccessRequest) -> bool:
    """A unit without a 单位负责人 who could decide: the 分管领导 above stands in, as he does for
    the compliance workflows' unit-head steps (the leader's own step stays his)."""
    heads = User.objects.filter(role=Role.UNIT_HEAD, is_active=True).select_related("unit")
    return not any(_may_hold_step(head, req) for head in heads)


def why_not_approver(user: User, req: AccessRequest) -> str | None:
    """None if the user may decide the request's current step, else the reason in Chinese."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return f"申请状态为“{req.get_status_display()}”，不能审批"
    role = req.chain[req.step]
    if user.pk == req.requester_id:
        return "不能审批本人提交的申请"
    stands_in = role == Role.UNIT_HEAD and user.role == Role.LEADER and _no_unit_head_for(req)
    if user.role != role and not stands_in:
        return f"当前步骤应由{ROLE_NAMES.get(role, role)}审批"
    if req.steps.filter(approver=user).exists():
        return "同一申请的各审批步骤须由不同人员办理"
    if role == Role.LEADER and req.case_id and req.case.leader_id and user.pk != req.case.leader_id:
        return f"本案的主管领导为{req.case.leader.display_name}，应由其审批"
    if not _covers(user, req):
        return "申请事项不在您的管辖或知悉范围内"
    return None


def why_not_executor(user: User, req: AccessRequest) -> str | None:
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.APPROVED:
        return f"申请状态为“{req.get_status_display()}”，不能办理"
    if user.role != req.executed_by_role:
        role = req.executed_by_role
        return f"应由{ROLE_NAMES.get(role, role)}办理"
    if user.pk == req.requester_id and req.kind in SELF_SERVED:
        return "不能办理本人的查阅、复制或导出申请，请由其他管理员办理"
    if not _covers(user, req):
        return "申请事项不在您的管辖或知悉范围内"
    return None


def approvers_now(req: AccessRequest):
    """The people who may decide the current step (shown on the page and the 待办)."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return []
    role = req.chain[req.step]
    roles = [role, Role.LEADER] if role == Role.UNIT_HEAD else [role]
    people = User.objects.filter(role__in=roles, is_active=True).select_related("unit")
    return [p for p in people if why_not_approver(p, req) is None]


def may_decide_role(user: User, req: AccessRequest) -> bool:
    """The role check alone (403 when it fails): a role the chain names, or the leader who
    may stand in for a unit head."""
    if user.role in req.chain:
        return True
    return user.role == Role.LEADER and Role.UNIT_HEAD in req.chain and _no_unit_head_for(req)
