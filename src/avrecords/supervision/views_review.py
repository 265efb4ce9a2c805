"""Online review pages (S1): the activities of the units one supervises, filtered; one
activity with its recordings (played on the recording pages, which check grants and audit),
documents, findings and spot-check scores; and 立案调查投诉, a complaint's legal hold that
preserves and gathers the activity's recordings.

An activity is found through the user's scope first: outside it is 404, even for the POST-only
complaint (then 405), before the role (403). Rules live in `supervision.review`; a refused
complaint is shown on the activity's page with status 400, nothing changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit
from avrecords.recordings.models import Recording
from avrecords.retention import approvals
from avrecords.supervision import filters, review
from avrecords.supervision.models import Sample
from avrecords.supervision.views_quality import need_supervisor


def _activity(request, activity_id: int) -> Activity:
    activity = review.get_reviewable(request.user, activity_id)
    if activity is None:
        raise NotFound("执法活动不存在或不在您的监督范围内")
    return activity


@login_required
@require_GET
def review_list(request):
    user = request.user
    need_supervisor(user)
    qs, errors = filters.filter_review(user, request.GET)
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = review.finding_counts(page)
    for a in page:
        a.finding_count = counts[a.pk]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "supervision",
        "page": page,
        "filters": request.GET,
        "query": query.urlencode(),
        "errors": errors,
        "units": [(u.pk, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)],
        "officers": review.officer_choices(user),
        "kinds": review.kind_choices(user),
    }
    template = (
        "supervision/review_results.html"
        if request.headers.get("HX-Request")
        else "supervision/review_list.html"
    )
    return render(request, template, context, status=400 if errors else 200)


def _detail(request, activity: Activity, *, errors=(), values=None, status: int = 200):
    user = request.user
    recordings = Recording.objects.visible_to(user).filter(
        activity_links__activity=activity, activity_links__excluded=False
    )
    linked = activity.links.filter(excluded=False).count()
    shown = list(recordings.order_by("started_at", "pk"))
    holds = list(review.complaints_of(activity))
    held = [r.pk for hold in holds for r in hold.recordings.all()]
    may_see = set(
        Recording.objects.visible_to(user).filter(pk__in=held).values_list("pk", flat=True)
    )
    complaints = [
        (hold, [r for r in hold.recordings.all() if r.pk in may_see], len(hold.recordings.all()))
        for hold in holds
    ]
    case = None
    if activity.case_id:
        case = Case.objects.visible_to(user).filter(pk=activity.case_id).first()
    return render(
        request,
        "supervision/review_detail.html",
        {
            "nav": "supervision",
            "a": activity,
            "recordings": shown,
            "hidden_recordings": max(0, linked - len(shown)),
            "findings": review.findings_of(activity),
            "exemptions": activity.exemptions.select_related("submitted_by", "decided_by"),
            "case": case,
            "samples": Sample.objects.filter(activity=activity)
            .select_related("campaign", "score", "score__reviewer")
            .order_by("campaign__period_start", "pk"),
            "complaints": complaints,
            "can_complain": review.can_open_complaint(user, activity),
            "can_read_holds": approvals.can_read(user),
            "errors": list(errors),
            "values": values or {},
        },
        status=status,
    )


@login_required
@require_GET
def review_detail(request, activity_id: int):
    activity = _activity(request, activity_id)
    need_supervisor(request.user)
    review.view(request.user, activity, ip=client_ip(request))
    return _detail(request, activity)


@login_required
def complaint(request, activity_id: int):
    """立案调查投诉: a legal hold on the activity that preserves and gathers its recordings."""
    activity = _activity(request, activity_id)
    if refused := post_only(request):
        return refused
    require(
        review.can_open_complaint(request.user, activity),
        "无权立案调查投诉：仅监督人员、单位负责人和分管领导在其范围内",
    )
    post = request.POST
    try:
        hold = review.open_complaint(
            request.user,
            activity,
            reason=post.get("reason", ""),
            reference=post.get("reference", ""),
            ip=client_ip(request),
        )
    except review.ComplaintRefused as exc:
        return _detail(request, activity, errors=[str(exc)], values=post, status=400)
    messages.success(
        request,
        f"已立案调查投诉，法律保全 {hold.number} 保全本次执法活动的 "
        f"{hold.recordings.count()} 条音像记录",
    )
    return redirect("supervision:review", activity_id=activity.pk)
