"""Who approves and who carries out a request, from the unit's policy profile (M3, M8).

The chain is a list of roles in order (chengde 001§22: 办公室主任审核 [unit_head], 主管领导批准
[leader]; fuzhou 004§20: 执法单位负责人 [unit_head]). A step may be decided by an active person
holding exactly that role whose unit scope covers the request's unit, who is cleared for every
confidential item in it, who is not the requester and who has not decided an earlier step of
the same request (two steps are two people). Where the request concerns a case with a named
主管领导, the leader's step is his (001§22: 经案件的局主管领导批准).
"""

from __future__ import annotations

from avrecords.access.models import AccessRequest
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import cleared_for, in_unit_scope, scope_roots
from avrecords.policies.schema import ApprovalChain, Profile
from avrecords.policies.services import profile_for_unit

ROLE_NAMES = dict(Role.choices)


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


def why_not_approver(user: User, req: AccessRequest) -> str | None:
    """None if the user may decide the request's current step, else the reason in Chinese."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return f"申请状态为“{req.get_status_display()}”，不能审批"
    role = req.chain[req.step]
    if user.pk == req.requester_id:
        return "不能审批本人提交的申请"
    if user.role != role:
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
    if not _covers(user, req):
        return "申请事项不在您的管辖或知悉范围内"
    return None


def approvers_now(req: AccessRequest):
    """The people who may decide the current step (shown on the page and the 待办)."""
    from avrecords.access.models import RequestStatus

    if req.status != RequestStatus.PENDING:
        return []
    role = req.chain[req.step]
    people = User.objects.filter(role=role, is_active=True).select_related("unit")
    return [p for p in people if why_not_approver(p, req) is None]
