"""Legal hold pages (S1): the holds of the reader's units, placing one on a case or an
activity the user can see, a hold with its gathered recordings, asking for its release and
deciding that request (the profile's approver, never the one who asked)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from avrecords.lib.filters import tell
from avrecords.lib.http import client_ip, int_or_none, post_only, run_step
from avrecords.lib.refusals import NotFound, require
from avrecords.recordings.models import Recording
from avrecords.retention import approvals, filters, holds
from avrecords.retention.approvals import Refused
from avrecords.retention.models import HoldKind, HoldStatus, LegalHold
from avrecords.retention.views import need_reader

CHOICES_SHOWN = 200
RECORDINGS_SHOWN = 500


def _hold(request, pk: int) -> LegalHold:
    hold = LegalHold.objects.visible_to(request.user).filter(pk=pk).first()
    if hold is None:
        raise NotFound("法律保全不存在或不在您的权限范围内")
    return hold


@login_required
def hold_list(request):
    need_reader(request.user)
    qs, errors = filters.filter_holds(LegalHold.objects.visible_to(request.user), request.GET)
    tell(request, errors)
    status = request.GET.get("status", "")
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "retention/holds.html",
        {
            "nav": "retention",
            "page": page,
            "status": status,
            "statuses": HoldStatus.choices,
            "can_place": approvals.can_place_hold(request.user),
        },
    )


def _target(user, post) -> tuple[object, object, list[str]]:
    """(case, activity, errors) from the form: a case chosen or typed by number, or an
    activity chosen or typed by id; only what the user may see."""
    case = activity = None
    errors = []
    number = (post.get("case_number") or "").strip()
    case_id = int_or_none(post.get("case"))
    activity_id = int_or_none(post.get("activity"))
    if number or case_id:
        cases = Case.objects.visible_to(user)
        case = (cases.filter(number=number) if number else cases.filter(pk=case_id)).first()
        if case is None:
            errors.append("案卷不存在或不在您的权限范围内")
    if post.get("activity") and activity_id is None:
        errors.append("执法活动编号应为数字")
    elif activity_id:
        activity = Activity.objects.visible_to(user).filter(pk=activity_id).first()
        if activity is None:
            errors.append("执法活动不存在或不在您的权限范围内")
    if case is not None and activity is not None:
        errors.append("请只指定一个案卷或一个执法活动")
    return case, activity, errors


def _form(request, values, errors=(), status=200):
    user = request.user
    return render(
        request,
        "retention/hold_new.html",
        {
            "nav": "retention",
            "values": values,
            "errors": errors,
            "kinds": HoldKind.choices,
            "cases": Case.objects.visible_to(user).order_by("-opened_on", "-pk")[:CHOICES_SHOWN],
            "activities": Activity.objects.visible_to(user)
            .select_related("unit")
            .order_by("-started_at", "-pk")[:CHOICES_SHOWN],
        },
        status=status,
    )


@login_required
def hold_new(request):
    require(approvals.can_place_hold(request.user), "无权采取法律保全")
    if request.method != "POST":
        return _form(request, request.GET)
    post = request.POST
    case, activity, errors = _target(request.user, post)
    if not errors:
        try:
            hold = holds.place(
                request.user,
                kind=post.get("kind", ""),
                reason=post.get("reason", ""),
                case=case,
                activity=activity,
                reference=post.get("reference", ""),
                ip=client_ip(request),
            )
        except Refused as exc:
            errors = [str(exc)]
        else:
            messages.success(
                request, f"已采取法律保全 {hold.number}：{hold.recordings.count()} 条音像记录"
            )
            return redirect("retention:hold", pk=hold.pk)
    return _form(request, post, errors, status=400)


def _detail(request, hold: LegalHold, *, errors=(), status=200):
    user = request.user
    ids = set(holds.gathered(hold)) | set(hold.recordings.values_list("pk", flat=True))
    shown = Recording.objects.visible_to(user).filter(pk__in=ids).order_by("started_at", "pk")
    pending = hold.status == HoldStatus.RELEASE_PENDING
    return render(
        request,
        "retention/hold.html",
        {
            "nav": "retention",
            "hold": hold,
            "recordings": shown[:RECORDINGS_SHOWN],
            "total": len(ids),
            "can_request": hold.status == HoldStatus.ACTIVE
            and approvals.can_place_hold(user, hold.unit),
            "can_decide": pending
            and approvals.may_decide(user, hold.unit, "approved_by", hold.release_requested_by_id),
            "errors": errors,
        },
        status=status,
    )


@login_required
def hold_detail(request, pk: int):
    return _detail(request, _hold(request, pk))  # no hold is visible to non-readers


def _step(request, pk: int, allowed, act, denied: str):
    """Scope (404), method (405), permission (403); refused → the hold's page with 400."""
    hold = _hold(request, pk)
    if refused := post_only(request):
        return refused
    require(allowed(request.user, hold), denied)
    return run_step(
        request,
        hold,
        lambda: act(hold),
        refusals=Refused,
        again=lambda errors: _detail(request, hold, errors=errors, status=400),
        then=reverse("retention:hold", kwargs={"pk": hold.pk}),
    )


def _may_decide(user, hold: LegalHold) -> bool:
    return approvals.may_decide(user, hold.unit, "approved_by", hold.release_requested_by_id)


@login_required
def hold_release(request, pk: int):
    def act(hold):
        holds.request_release(
            request.user, hold, request.POST.get("reason", ""), ip=client_ip(request)
        )
        return f"已申请解除法律保全 {hold.number}，等待批准"

    return _step(
        request,
        pk,
        lambda user, hold: approvals.can_place_hold(user, hold.unit),
        act,
        "无权申请解除该法律保全",
    )


@login_required
def hold_approve(request, pk: int):
    def act(hold):
        holds.approve_release(request.user, hold, ip=client_ip(request))
        return f"已批准解除法律保全 {hold.number}"

    return _step(request, pk, _may_decide, act, "无权审批解除该法律保全")


@login_required
def hold_reject(request, pk: int):
    def act(hold):
        holds.reject_release(
            request.user, hold, request.POST.get("comment", ""), ip=client_ip(request)
        )
        return f"已不同意解除法律保全 {hold.number}，保全继续"

    return _step(request, pk, _may_decide, act, "无权审批解除该法律保全")
