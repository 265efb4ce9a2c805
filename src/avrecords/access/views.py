"""Pages for requests (M3, M6–M9): my requests and what I must decide or carry out, a new
request for recordings, a case or an activity, one request with its steps and register."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from avrecords.access import chain as chains
from avrecords.access import filters, inbox, redacted
from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused, may_decide_role
from avrecords.access.models import (
    AccessRequest,
    PreserveGround,
    Recipient,
    RequestKind,
    RequestStatus,
)
from avrecords.lib.filters import tell
from avrecords.lib.http import back_to, client_ip, int_or_none, post_only
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Secrecy


def _request_or_404(user, pk: int):
    req = AccessRequest.objects.visible_to(user).filter(pk=pk).first()
    if req is None:
        raise NotFound("申请不存在或不在您的权限范围内")
    return req


@login_required
def request_list(request):
    user = request.user
    to_approve, to_execute = inbox.to_approve(user), inbox.to_execute(user)
    # who has requests to decide (or carry out) opens on them; everyone else on his own
    default = "approve" if to_approve else "execute" if to_execute else "mine"
    tab = request.GET.get("tab") or default
    qs, errors = filters.filter_requests(
        user,
        AccessRequest.objects.visible_to(user),
        request.GET,
        default_tab=default,
        waiting=(to_approve, to_execute),
    )
    tell(request, errors)
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for req in page:
        req.state_label = svc.state_label(req)
    return render(
        request,
        "access/list.html",
        {
            "nav": "access",
            "page": page,
            "tab": tab,
            "kind": kind,
            "status": status,
            "kinds": RequestKind.choices,
            "statuses": RequestStatus.choices,
            "approve_count": len(to_approve),
            "execute_count": len(to_execute),
        },
    )


def _target(user, params):
    try:
        recording_ids = [int(v) for v in params.getlist("recording") if v]
        chosen = [int(v) for v in params.getlist("redaction") if v]
        if chosen and not (recording_ids or params.get("case") or params.get("activity")):
            # 申请提供 from a redacted copy's page: the copies of its recording are offered
            recording_ids = redacted.recordings_of(user, chosen)
        return svc.resolve_target(
            user,
            recording_ids=recording_ids,
            case_id=int(params["case"]) if params.get("case") else None,
            activity_id=int(params["activity"]) if params.get("activity") else None,
        )
    except ValueError as exc:
        raise NotFound("参数无效") from exc


@login_required
def request_new(request):
    params = request.POST if request.method == "POST" else request.GET
    fields = _target(request.user, params)
    kind = params.get("kind", RequestKind.VIEW)
    if kind not in RequestKind.values:
        kind = RequestKind.VIEW
    errors, chain_text, chain_cite, max_days = [], "", "", 30
    unit, targets = None, []
    try:
        unit, targets = svc._resolve(request.user, svc.Ask(kind=kind, reason="-", **fields))
        _, chain = chains.chain_for(kind, unit)
        chain_text, chain_cite, max_days = (
            chains.describe(chain.steps, chain.executed_by),
            chain.cite,
            chain.max_days,
        )
    except RequestRefused as exc:
        errors.append(str(exc))
    chosen_copies = {int_or_none(v) for v in params.getlist("redaction")} - {None}
    copies, copies_kind = [], kind == RequestKind.REDACTED
    if copies_kind:
        copies = redacted.candidates(request.user, targets)
    if request.method == "POST" and not errors:
        # a request for redacted copies is named by the copies chosen among those offered
        named = {"redactions": sorted(chosen_copies)} if copies_kind else fields
        ask = svc.Ask(
            kind=kind,
            reason=params.get("reason", ""),
            days=int_or_none(params.get("days")) or 0,
            place=params.get("place", ""),
            ground=params.get("ground", ""),
            mark=params.get("mark"),  # absent: nothing chosen, refused for a mark request
            recipient=params.get("recipient", ""),
            with_redacted=params.get("with_redacted") == "1",
            **named,
        )
        try:
            req = svc.submit(request.user, ask, ip=client_ip(request))
        except RequestRefused as exc:
            errors.append(str(exc))
        else:
            messages.success(
                request, f"申请 {req.number} 已提交，等待{chains.describe(req.chain)}。"
            )
            return redirect("access:detail", pk=req.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "access/new.html",
        {
            "nav": "access",
            "kind": kind,
            "kinds": RequestKind.choices,
            "fields": fields,
            "recordings": fields.get("recordings", []),
            "unit": unit,
            "chain_text": chain_text,
            "chain_cite": chain_cite,
            "max_days": max_days,
            "values": params,
            "errors": errors,
            "grounds": PreserveGround.choices,
            "marks": Secrecy.choices,
            "recipients": Recipient.choices,
            "copies": copies,
            "chosen_copies": chosen_copies,
        },
        status=status if errors else 200,
    )


@login_required
def request_detail(request, pk: int):
    req = _request_or_404(request.user, pk)
    user = request.user
    package = getattr(req, "package", None)
    return render(
        request,
        "access/detail.html",
        {
            "nav": "access",
            "req": req,
            "state_label": svc.state_label(req),
            "chain_text": chains.describe(req.chain, req.executed_by_role),
            "steps": [
                (step, chains.ROLE_NAMES.get(step.role, step.role))
                for step in req.steps.select_related("approver")
            ],
            "recordings": req.recordings.select_related("officer", "unit")[:500],
            "entries": req.register_entries.select_related("actor", "recording")[:200],
            "can_approve": chains.why_not_approver(user, req) is None,
            "can_execute": chains.why_not_executor(user, req) is None,
            "can_withdraw": req.requester_id == user.pk
            and req.status in (RequestStatus.PENDING, RequestStatus.APPROVED),
            "can_revoke": svc.may_revoke(user, req),
            "waiting_for": chains.approvers_now(req),
            "live": svc.is_live(req),
            "package": package,
            "copies": req.redactions.select_related("recording", "signed_off_by")
            if req.kind == RequestKind.REDACTED
            else [],
            "can_download_copies": redacted.why_not_download(user, req) is None,
        },
    )


def _act(request, pk: int, action, allowed=lambda user, req: True) -> object:
    """Scope first (404), then the method (405), then the role (403); a refused step is shown
    as a message and changes nothing."""
    req = _request_or_404(request.user, pk)
    if refused := post_only(request):
        return refused
    require(allowed(request.user, req))
    try:
        action(req)
    except RequestRefused as exc:
        messages.error(request, str(exc))
    # a step taken in 待办 returns there; otherwise to the request
    return redirect(back_to(request, reverse("access:detail", args=[req.pk])))


@login_required
def request_approve(request, pk: int):
    def act(req):
        decision = request.POST.get("decision", "approve")
        comment = request.POST.get("comment", "")
        if decision == "reject":
            svc.reject(request.user, req, comment, ip=client_ip(request))
            messages.success(request, f"已不同意申请 {req.number}。")
        else:
            svc.approve(request.user, req, comment, ip=client_ip(request))
            messages.success(request, f"已同意申请 {req.number}。")

    return _act(request, pk, act, lambda user, req: may_decide_role(user, req))


@login_required
def request_execute(request, pk: int):
    def act(req):
        svc.execute(request.user, req, ip=client_ip(request))
        messages.success(request, f"申请 {req.number} 已办理。")

    return _act(request, pk, act, lambda user, req: user.role == req.executed_by_role)


@login_required
def request_withdraw(request, pk: int):
    def act(req):
        svc.withdraw(request.user, req, ip=client_ip(request))
        messages.success(request, f"申请 {req.number} 已撤回。")

    return _act(request, pk, act, lambda user, req: user.pk == req.requester_id)


@login_required
def request_revoke(request, pk: int):
    def act(req):
        svc.revoke(request.user, req, request.POST.get("reason", ""), ip=client_ip(request))
        messages.success(request, f"授权 {req.number} 已撤销。")

    return _act(
        request,
        pk,
        act,
        lambda user, req: (
            svc.may_revoke(user, req)
            or (req.status not in (RequestStatus.APPROVED, RequestStatus.ACTIVE))
        ),
    )


@login_required
def redacted_download(request, pk: int, redaction_id: int):
    """One redacted copy of an executed 提供脱敏副本 request, to its requester while the grant
    is live (audited and registered, issue 21 §3)."""
    req = _request_or_404(request.user, pk)
    handle, name = redacted.take(request.user, req, redaction_id, ip=client_ip(request))
    return FileResponse(handle, as_attachment=True, filename=name, content_type="video/mp4")
