"""The life of a request (M3, M6, M7, M8, M9): submit → each step approves → the administrator
carries it out → a live grant until it expires or is revoked.

Every step is audited. A refusal changes nothing and says why in Chinese (`RequestRefused`).
Marking requests (M9) take effect on the last approval; export and preservation requests
start building their package when carried out (`events.REQUEST_EXECUTED`, which evidence
and retention subscribe to); a request for redacted copies (提供脱敏副本, issue 21) names
signed-off copies and registers each when carried out (`access.redacted`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from avrecords import events
from avrecords.access import chain as chains
from avrecords.access import redacted
from avrecords.access.chain import RequestRefused
from avrecords.access.models import (
    AccessRequest,
    ApprovalStep,
    Decision,
    PreserveGround,
    Recipient,
    RequestKind,
    RequestStatus,
)
from avrecords.access.secrecy import apply_mark
from avrecords.audit import services as audit
from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from avrecords.notices.services import notify
from avrecords.org.models import Role, Secrecy, Unit
from avrecords.org.scope import sees_everything
from avrecords.recordings.models import Recording

PREFIX = {
    RequestKind.VIEW: "CY",
    RequestKind.COPY: "FZ",
    RequestKind.EXPORT: "ZJ",
    RequestKind.PRESERVE: "CB",
    RequestKind.REDACTED: "TM",
    RequestKind.MARK: "MJ",
}
MARK_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.ARCHIVIST, Role.SYSADMIN}


@dataclass
class Ask:
    """What a requester asks for. Exactly one of recordings / case / activity names the items;
    a request for redacted copies names `redactions` instead (their recordings are its items)."""

    kind: str
    reason: str
    days: int = 7
    recordings: list = field(default_factory=list)
    case: object = None
    activity: object = None
    place: str = ""
    ground: str = ""
    mark: str | None = ""  # "": clear the mark; None: the page's form chose nothing
    recipient: str = ""  # redacted copies: who receives them (Recipient)
    redactions: list = field(default_factory=list)  # redacted copies: the signed-off copies
    with_redacted: bool = False  # export, preserve: signed-off redacted copies go in too


def common_unit(units: list[Unit]) -> Unit:
    """The lowest unit above (or equal to) all of these."""
    paths = [u.path.split(".")[:-1] for u in units]
    prefix = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    if not prefix:
        raise RequestRefused("所选音像记录分属不同机关，请分别提交申请")
    return Unit.objects.get(path="".join(f"{p}." for p in prefix))


def _resolve(user, ask: Ask):
    """(unit, recordings) the request is about; everything must be visible to the requester."""
    from avrecords.compliance.activities import linked_recordings

    if ask.kind == RequestKind.REDACTED and ask.redactions:
        _, found = redacted.chosen(user, ask.redactions)
        return common_unit([r.unit for r in found]), found
    named = [bool(ask.recordings), ask.case is not None, ask.activity is not None]
    if sum(named) != 1:
        raise RequestRefused("请选择申请的事项：音像记录、案卷或执法活动之一")
    visible = Recording.objects.visible_to(user)
    if ask.case is not None:
        if not Case.objects.visible_to(user).filter(pk=ask.case.pk).exists():
            raise RequestRefused("案卷不存在或不在您的权限范围内")
        return ask.case.unit, list(visible.filter(case=ask.case))
    if ask.activity is not None:
        if not Activity.objects.visible_to(user).filter(pk=ask.activity.pk).exists():
            raise RequestRefused("执法活动不存在或不在您的权限范围内")
        ids = linked_recordings(ask.activity).values("pk")
        return ask.activity.unit, list(visible.filter(pk__in=ids))
    ids = {getattr(r, "pk", r) for r in ask.recordings}
    found = list(visible.filter(pk__in=ids))
    if len(found) != len(ids):
        raise RequestRefused("部分音像记录不存在或不在您的权限范围内")
    return common_unit([r.unit for r in found]), found


def resolve_target(user, *, recording_ids=(), case_id=None, activity_id=None) -> dict:
    """The Ask fields for ids a user sent; Http404 for anything he may not see (X2)."""
    from django.http import Http404

    fields: dict = {}
    if recording_ids:
        found = list(Recording.objects.visible_to(user).filter(pk__in=recording_ids))
        if len(found) != len(set(recording_ids)):
            raise Http404("音像记录不存在或不在您的权限范围内")
        fields["recordings"] = found
    if case_id is not None:
        fields["case"] = Case.objects.visible_to(user).filter(pk=case_id).first()
        if fields["case"] is None:
            raise Http404("案卷不存在或不在您的权限范围内")
    if activity_id is not None:
        fields["activity"] = Activity.objects.visible_to(user).filter(pk=activity_id).first()
        if fields["activity"] is None:
            raise Http404("执法活动不存在或不在您的权限范围内")
    return fields


def _check(user, ask: Ask, chain, recordings) -> None:
    errors = []
    if ask.kind not in RequestKind.values:
        errors.append("申请类型无效")
    if not ask.reason.strip():
        errors.append("请填写事由")
    if ask.kind == RequestKind.MARK:
        if ask.mark is None:
            errors.append("请选择密级（取消已有密级请选“解除标注”）")
        elif ask.mark and ask.mark not in Secrecy.values:
            errors.append("密级无效")
        if not (sees_everything(user) or user.role in MARK_ROLES):
            errors.append("您的角色不能申请标注密级")
        if ask.recordings and len(recordings) != 1:
            errors.append("密级标注每次针对一条音像记录、一个执法活动或一个案卷")
    else:
        if not 1 <= ask.days <= chain.max_days:
            errors.append(f"有效天数应为 1 至 {chain.max_days} 天")
        if not recordings:
            errors.append("所选事项没有可申请的音像记录")
        # M5: a purged original is gone; nothing is left to view, copy or export.
        if purged := [r.original_name for r in recordings if r.purged_at is not None]:
            more = f"等 {len(purged)} 条" if len(purged) > 3 else ""
            errors.append(
                f"音像记录已按保存期限清除，不能申请{dict(RequestKind.choices).get(ask.kind, '')}："
                + "、".join(purged[:3])
                + more
            )
    if ask.kind == RequestKind.PRESERVE and ask.ground not in PreserveGround.values:
        errors.append("请选择长期保存的情形")
    if ask.kind == RequestKind.EXPORT and not ask.place.strip():
        errors.append("请填写提取地点")
    if ask.kind == RequestKind.REDACTED:
        if not ask.redactions:
            errors.append("请选择要提供的脱敏副本")
        if ask.recipient not in Recipient.values:
            errors.append("请选择提供对象")
    if errors:
        raise RequestRefused("；".join(errors))


def _number(kind: str) -> str:
    year = timezone.localdate().year
    prefix = f"{PREFIX[kind]}-{year}-"
    last = (
        AccessRequest.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def mark_target(req: AccessRequest):
    if req.case_id:
        return req.case
    if req.activity_id:
        return req.activity
    return req.recordings.first()


def current_mark(target) -> str:
    """The item's own mark as stored now (a case's mark is its own; others' is secrecy_mark)."""
    field = "secrecy_mark" if hasattr(target, "secrecy_mark") else "secrecy"
    return type(target).objects.filter(pk=target.pk).values_list(field, flat=True).first() or ""


def submit(user, ask: Ask, *, ip: str = "") -> AccessRequest:
    unit, recordings = _resolve(user, ask)
    profile, chain = chains.chain_for(ask.kind, unit)
    _check(user, ask, chain, recordings)
    copies = redacted.chosen(user, ask.redactions)[0] if ask.kind == RequestKind.REDACTED else []
    if ask.kind == RequestKind.MARK:
        target = ask.case or ask.activity or recordings[0]
        if current_mark(target) == ask.mark:
            raise RequestRefused("该事项已是所申请的密级")
    for attempt in range(5):
        try:
            with transaction.atomic():
                req = AccessRequest.objects.create(
                    number=_number(ask.kind),
                    kind=ask.kind,
                    requester=user,
                    unit=unit,
                    reason=ask.reason.strip(),
                    days=ask.days if ask.kind != RequestKind.MARK else 0,
                    place=ask.place.strip(),
                    ground=ask.ground,
                    mark=ask.mark or "",
                    recipient=ask.recipient if ask.kind == RequestKind.REDACTED else "",
                    with_redacted=bool(ask.with_redacted)
                    and ask.kind in (RequestKind.EXPORT, RequestKind.PRESERVE),
                    case=ask.case,
                    activity=ask.activity,
                    profile_code=profile.code,
                    chain=list(chain.steps),
                    executed_by_role=chain.executed_by,
                    cite=chain.cite,
                )
                req.recordings.set(recordings)
                req.redactions.set(copies)
                detail = {"recordings": [r.pk for r in recordings], "reason": req.reason}
                if copies:
                    detail |= {"redactions": [r.pk for r in copies], "recipient": req.recipient}
                audit.record(
                    "access.request",
                    actor=user,
                    obj=req,
                    summary=f"提交{req.get_kind_display()}申请 {req.number}（{len(recordings)} 条记录）",
                    detail=detail,
                    ip=ip,
                )
            return req
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _locked(req: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("case", "activity")
        .get(pk=req.pk)
    )


def approve(user, req: AccessRequest, comment: str = "", *, ip: str = "") -> AccessRequest:
    with transaction.atomic():
        req = _locked(req)
        if why := chains.why_not_approver(user, req):
            raise RequestRefused(why)
        ApprovalStep.objects.create(
            request=req,
            index=req.step,
            role=req.chain[req.step],
            approver=user,
            decision=Decision.APPROVE,
            comment=comment.strip(),
        )
        req.step += 1
        last = req.step == len(req.chain)
        if last:
            req.status = RequestStatus.APPROVED
            req.decided_at = timezone.now()
        req.save(update_fields=["step", "status", "decided_at"])
        audit.record(
            "access.approve",
            actor=user,
            obj=req,
            summary=f"同意{req.get_kind_display()}申请 {req.number}（第 {req.step} 步）",
            detail={"comment": comment},
            ip=ip,
        )
        if last:
            _tell_requester(req, "已批准", "approved", comment)
        if last and not req.executed_by_role:
            _carry_out(None, req, ip=ip)
    return req


def reject(user, req: AccessRequest, comment: str, *, ip: str = "") -> AccessRequest:
    if not comment.strip():
        raise RequestRefused("不同意时请填写理由")
    with transaction.atomic():
        req = _locked(req)
        if why := chains.why_not_approver(user, req):
            raise RequestRefused(why)
        ApprovalStep.objects.create(
            request=req,
            index=req.step,
            role=req.chain[req.step],
            approver=user,
            decision=Decision.REJECT,
            comment=comment.strip(),
        )
        req.status = RequestStatus.REJECTED
        req.decided_at = timezone.now()
        req.save(update_fields=["status", "decided_at"])
        audit.record(
            "access.reject",
            actor=user,
            obj=req,
            summary=f"不同意{req.get_kind_display()}申请 {req.number}",
            detail={"comment": comment},
            ip=ip,
        )
        _tell_requester(req, "未获批准", "rejected", comment)
    return req


def _carry_out(user, req: AccessRequest, *, ip: str = "") -> None:
    now = timezone.now()
    req.status = RequestStatus.ACTIVE
    req.executor = user
    req.executed_at = now
    req.valid_until = now + dt.timedelta(days=req.days) if req.days else None
    req.save(update_fields=["status", "executor", "executed_at", "valid_until"])
    if req.kind == RequestKind.REDACTED:
        redacted.register_copies(user or req.steps.last().approver, req, ip=ip)
    if req.kind == RequestKind.MARK:
        target = mark_target(req)
        before = current_mark(target)
        apply_mark(target, req.mark)
        audit.record(
            "secrecy.mark" if req.mark else "secrecy.unmark",
            actor=user or req.steps.last().approver,
            obj=target,
            summary=(f"标注为{Secrecy(req.mark).label}" if req.mark else "解除密级标注")
            + f"（申请 {req.number}）",
            detail={"before": before, "after": req.mark, "request": req.number},
            ip=ip,
        )
    # evidence builds an export's or a preservation's package; retention keeps an export's
    # recordings as evidence (M5, M6, M7)
    events.REQUEST_EXECUTED.send(request=req, actor=user)
    until = (
        f"，有效期至 {timezone.localtime(req.valid_until):%Y-%m-%d %H:%M}"
        if req.valid_until
        else ""
    )
    _tell_requester(req, "已办理", "executed", f"申请已办理{until}")


def _tell_requester(req: AccessRequest, what: str, code: str, comment: str = "") -> None:
    """站内消息 to the requester once the decision commits (issue 17 §3)."""
    notify(
        req.requester,
        f"您的{req.get_kind_display()}申请 {req.number} {what}",
        comment.strip(),
        reverse("access:detail", args=[req.pk]),
        f"access.{code}",
    )


def execute(user, req: AccessRequest, *, ip: str = "") -> AccessRequest:
    """The administrator carries the approved request out: the grant starts now."""
    with transaction.atomic():
        req = _locked(req)
        if why := chains.why_not_executor(user, req):
            raise RequestRefused(why)
        _carry_out(user, req, ip=ip)
        audit.record(
            "access.execute",
            actor=user,
            obj=req,
            summary=f"办理{req.get_kind_display()}申请 {req.number}"
            + (
                f"，有效期至 {timezone.localtime(req.valid_until):%Y-%m-%d %H:%M}"
                if req.valid_until
                else ""
            ),
            ip=ip,
        )
    return req


def withdraw(user, req: AccessRequest, *, ip: str = "") -> AccessRequest:
    with transaction.atomic():
        req = _locked(req)
        if req.requester_id != user.pk:
            raise RequestRefused("只有申请人可以撤回申请")
        if req.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
            raise RequestRefused(f"申请状态为“{req.get_status_display()}”，不能撤回")
        req.status = RequestStatus.WITHDRAWN
        req.save(update_fields=["status"])
        audit.record(
            "access.withdraw", actor=user, obj=req, summary=f"撤回申请 {req.number}", ip=ip
        )
    return req


def may_revoke(user, req: AccessRequest) -> bool:
    if req.status not in (RequestStatus.APPROVED, RequestStatus.ACTIVE):
        return False
    if req.kind == RequestKind.MARK:
        return False  # a mark is undone by an unmarking request, approved the same way
    if user.pk == req.requester_id or sees_everything(user):
        return True
    if req.steps.filter(approver=user).exists():
        return True
    from avrecords.org.scope import in_unit_scope

    return user.role in (Role.UNIT_HEAD, Role.LEADER) and in_unit_scope(user, req.unit)


def revoke(user, req: AccessRequest, reason: str, *, ip: str = "") -> AccessRequest:
    """End a grant before it expires (the approver changed his mind, the need is over)."""
    if not reason.strip():
        raise RequestRefused("请填写撤销理由")
    with transaction.atomic():
        req = _locked(req)
        if not may_revoke(user, req):
            raise RequestRefused("您不能撤销该授权")
        req.status = RequestStatus.REVOKED
        req.revoked_by = user
        req.revoked_at = timezone.now()
        req.revoke_reason = reason.strip()[:200]
        req.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason"])
        audit.record(
            "access.revoke",
            actor=user,
            obj=req,
            summary=f"撤销授权 {req.number}：{req.revoke_reason}",
            ip=ip,
        )
    return req


def is_live(req: AccessRequest, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return req.status == RequestStatus.ACTIVE and (req.valid_until is None or req.valid_until > now)


def state_label(req: AccessRequest) -> str:
    """The status as a user reads it: an active grant past its date is 已过期."""
    if req.status == RequestStatus.ACTIVE and req.valid_until and req.valid_until <= timezone.now():
        return "已过期"
    return req.get_status_display()
