"""Disposal list pages (M5): the lists of the reader's agencies; one list's review page, where
the archivist (the profile's `reviewed_by`) marks each item purge or keep (with a reason) and
submits, and the leader (`approved_by`, not the reviewer) approves or rejects; while the purge
job runs the progress refreshes by itself (HTMX)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse

from avrecords.lib import labels
from avrecords.lib.filters import tell
from avrecords.lib.http import client_ip, post_only, run_step
from avrecords.lib.refusals import NotFound, require
from avrecords.retention import approvals, disposal, filters
from avrecords.retention.approvals import Refused
from avrecords.retention.facts import HAND_FACTS
from avrecords.retention.models import DisposalList, DisposalStatus
from avrecords.retention.views import need_reader

ITEMS_PER_PAGE = 100
RUNNING = (DisposalStatus.APPROVED, DisposalStatus.PURGING)


def _list(request, pk: int) -> DisposalList:
    found = (
        DisposalList.objects.visible_to(request.user)
        .select_related("unit", "reviewed_by", "approved_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("清除清单不存在或不在您的权限范围内")
    return found


def _may_review(user, d: DisposalList) -> bool:
    return approvals.may_decide(user, d.unit, "reviewed_by", None)


def _may_approve(user, d: DisposalList) -> bool:
    return approvals.may_decide(user, d.unit, "approved_by", d.reviewed_by_id)


@login_required
def disposal_list(request):
    need_reader(request.user)
    qs, errors = filters.filter_disposals(
        DisposalList.objects.visible_to(request.user).select_related("unit"), request.GET
    )
    tell(request, errors)
    status = request.GET.get("status", "")
    qs = qs.annotate(item_count=Count("items")).order_by("-created_at", "-pk")
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    # one look-up per profile, not per row: the page's queries stay as many whatever its size
    names = {code: labels.get(labels.PROFILE, code) for code in {d.profile_code for d in page}}
    for d in page:
        d.profile_label = names[d.profile_code]
    return render(
        request,
        "retention/disposals.html",
        {"nav": "retention", "page": page, "status": status, "statuses": DisposalStatus.choices},
    )


def _detail(request, d: DisposalList, *, errors=(), status=200):
    user = request.user
    page = Paginator(disposal.items_for(user, d), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "retention/disposal.html",
        {
            "nav": "retention",
            "d": d,
            "page": page,
            "counts": disposal.counts(d),
            "running": d.status in RUNNING,
            "can_review": d.status == DisposalStatus.REVIEW and _may_review(user, d),
            "can_approve": d.status == DisposalStatus.SUBMITTED and _may_approve(user, d),
            "reviewer_role": _role_name(d, "reviewed_by"),
            "approver_role": _role_name(d, "approved_by"),
            "hand_facts": HAND_FACTS.items(),
            "errors": errors,
        },
        status=status,
    )


def _role_name(d: DisposalList, which: str) -> str:
    lookup = approvals.reviewer_role if which == "reviewed_by" else approvals.approver_role
    try:
        role = lookup(d.unit)
    except Refused:
        return "—"
    return approvals.ROLE_NAMES.get(role, role)


@login_required
def disposal_detail(request, pk: int):
    return _detail(request, _list(request, pk))  # no list is visible to non-readers


@login_required
def disposal_progress(request, pk: int):
    """The progress card alone, polled every 2 s while the purge job runs."""
    d = _list(request, pk)
    return render(
        request,
        "retention/_progress.html",
        {"d": d, "counts": disposal.counts(d), "running": d.status in RUNNING},
    )


def _step(request, pk: int, allowed, act, denied: str):
    """Scope (404), method (405), permission (403); refused → the list's page with 400."""
    d = _list(request, pk)
    if refused := post_only(request):
        return refused
    require(allowed(request.user, d), denied)
    return run_step(
        request,
        d,
        lambda: act(d),
        refusals=Refused,
        again=lambda errors: _detail(request, d, errors=errors, status=400),
        then=reverse("retention:disposal", kwargs={"pk": d.pk}),
    )


@login_required
def item_decide(request, pk: int, item_id: int):
    """Purge, or keep with a situation and a reason (recorded when the list is submitted)."""
    d = _list(request, pk)
    item = d.items.select_related("recording", "disposal__unit").filter(pk=item_id).first()
    if item is None:
        raise NotFound("清单中没有该音像记录")
    post = request.POST

    def act(d):
        decision = post.get("decision", "")
        disposal.decide_item(
            request.user,
            item,
            decision,
            fact=post.get("fact", ""),
            reason=post.get("reason", ""),
            ip=client_ip(request),
        )
        what = "继续保存" if decision == "keep" else "清除"
        return f"{item.recording.original_name}：{what}"

    return _step(request, pk, _may_review, act, "无权复核该清除清单")


@login_required
def disposal_submit(request, pk: int):
    def act(d):
        disposal.submit(request.user, d, ip=client_ip(request))
        return f"清除清单 {d.number} 已复核完毕，提交审批"

    return _step(request, pk, _may_review, act, "无权复核该清除清单")


@login_required
def disposal_decide(request, pk: int):
    approve = request.POST.get("decision", "approve") != "reject"

    def act(d):
        disposal.decide(
            request.user,
            d,
            approve=approve,
            comment=request.POST.get("comment", ""),
            ip=client_ip(request),
        )
        if approve:
            return f"已批准清除清单 {d.number}，清除任务已开始"
        return f"已不同意清除清单 {d.number}"

    return _step(request, pk, _may_approve, act, "无权审批该清除清单")
