"""Case pages (M10): list with the archiving deadlines, a case's file with its recordings and
activities, open and edit, link and unlink, close (结案) and file (归档).

Every page finds the case through `Case.objects.visible_to` (X2, M9): outside the user's
scope is 404, even for a POST-only action (then 405), before the permission (403). Rules live in
`cases.services`; a refused step is shown on the case page with status 400, nothing changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from avrecords import panels
from avrecords.cases import filters as case_filters
from avrecords.cases import forms, services
from avrecords.cases.models import Case, CaseStatus, CaseType
from avrecords.lib import form_errors
from avrecords.lib.filters import tell
from avrecords.lib.http import client_ip, int_or_none, post_only, run_step
from avrecords.lib.refusals import NotFound, require
from avrecords.org.scope import shown_and_withheld
from avrecords.recordings.models import Recording

CANDIDATES_SHOWN = 200


def _case(request, case_id: int) -> Case:
    case = Case.objects.visible_to(request.user).filter(pk=case_id).first()
    if case is None:
        raise NotFound("案卷不存在")
    return case


@login_required
def case_list(request):
    g = request.GET
    qs, errors = case_filters.filter_cases(request.user, g)
    tell(request, errors)
    qs = qs.select_related("unit")
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(g.get("page"))
    today = timezone.localdate()
    for case in page:
        case.late_days = services.overdue_days(case, today)
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "nav": "cases",
            "page": page,
            "filters": g,
            "query": query.urlencode(),
            "statuses": CaseStatus.choices,
            "types": CaseType.choices,
            "units": forms.unit_choices(request.user, retired=True),
            "overdue_count": services.overdue(Case.objects.visible_to(request.user), today).count(),
            "can_manage": services.can_manage_cases(request.user),
        },
    )


def _detail(request, case: Case, *, errors: list[str] | None = None, status: int = 200):
    user = request.user
    days, cite = services.filing_days(case.unit, case.case_type)
    can_manage = services.can_manage_cases(user)
    open_to_links = can_manage and case.status != CaseStatus.FILED
    recordings, withheld = shown_and_withheld(  # M9: others counted, never named
        user, case.recordings.select_related("officer", "unit").order_by("started_at", "pk")
    )
    context = {
        "nav": "cases",
        "c": case,
        "filing_days": days,
        "filing_cite": cite,
        "late_days": services.overdue_days(case),
        "recordings": recordings,
        "withheld": withheld,
        "can_manage": can_manage,
        "can_link": open_to_links,
        "can_close": can_manage and case.status == CaseStatus.OPEN,
        "can_file": services.can_file_cases(user) and case.status == CaseStatus.CLOSED,
        "candidates": Recording.objects.visible_to(user)
        .filter(unit=case.unit, case__isnull=True)
        .order_by("-started_at", "-pk")[:CANDIDATES_SHOWN]
        if open_to_links
        else [],
        # the parts other apps register (`panels.CASE`): its activities, where to ask for access
        "slots": panels.CASE.render(
            request,
            case,
            can_link=open_to_links,
            link_url=reverse("cases:link", args=[case.pk]),
            unlink_url=reverse("cases:unlink", args=[case.pk]),
        ),
        "errors": errors or [],
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
def case_detail(request, case_id: int):
    case = _case(request, case_id)
    services.view_case(request.user, case, ip=client_ip(request))
    return _detail(request, case)


# The words the case form's refusals name its fields by → the fields.
CASE_FIELD_LABELS = {
    "案件编号": "number",
    "案件名称": "title",
    "当事人": "party",
    "案件类型": "case_type",
    "承办单位": "unit",
    "立案日期": "opened_on",
    "主管领导": "leader",
    "分管领导": "leader",
}


def _form(request, *, case: Case | None, values, errors=(), status=200):
    leaders = forms.leader_choices(request.user)
    if case is not None and case.leader is not None and case.leader not in leaders:
        leaders.append(case.leader)  # one who has left stays chosen until changed
    return render(
        request,
        "cases/form.html",
        {
            "nav": "cases",
            "c": case,
            "values": values,
            "errors": errors,
            "field_errors": form_errors.by_field(list(errors), CASE_FIELD_LABELS)[0],
            "types": CaseType.choices,
            "units": forms.unit_choices(request.user, case),
            "leaders": leaders,
        },
        status=status,
    )


@login_required
def case_new(request):
    require(services.can_manage_cases(request.user))
    if request.method != "POST":
        unit = request.user.unit_id or ""
        values = {"unit": str(unit), "opened_on": timezone.localdate().isoformat()}
        return _form(request, case=None, values=values)
    data, errors = forms.read_case(request.user, request.POST)
    if not errors:
        try:
            case = services.open_case(request.user, data)
        except services.CaseError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已立案登记：{case}")
            return redirect("cases:detail", case_id=case.pk)
    return _form(request, case=None, values=request.POST, errors=errors, status=400)


@login_required
def case_edit(request, case_id: int):
    case = _case(request, case_id)
    require(services.can_manage_cases(request.user))
    if request.method != "POST":
        return _form(request, case=case, values=forms.values_of(case))
    data, errors = forms.read_case(request.user, request.POST, case)
    if not errors:
        try:
            services.update_case(request.user, case, data)
        except services.CaseError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已保存案卷：{case}")
            return redirect("cases:detail", case_id=case.pk)
    case.refresh_from_db()
    return _form(request, case=case, values=request.POST, errors=errors, status=400)


def _step(request, case: Case, step):
    """Run a refusable step: success → back to the case; refused → the case page, 400."""
    return run_step(
        request,
        case,
        step,
        refusals=(services.CaseError, forms.FormError),
        again=lambda errors: _detail(request, case, errors=errors, status=400),
        then=reverse("cases:detail", kwargs={"case_id": case.pk}),
    )


@login_required
def case_close(request, case_id: int):
    """结案: starts the archiving deadline of the unit's profile (M10, 004§19(2))."""
    case = _case(request, case_id)
    if refused := post_only(request):
        return refused
    require(services.can_manage_cases(request.user))

    def go():
        services.close_case(request.user, case, at=forms.parse_when(request.POST.get("at")))
        if case.file_due:
            return f"已结案，应于 {case.file_due:%Y-%m-%d} 前归档"
        return "已结案"

    return _step(request, case, go)


@login_required
def case_file(request, case_id: int):
    """归档: the recordings are filed with the case file (M10)."""
    case = _case(request, case_id)
    if refused := post_only(request):
        return refused
    require(services.can_file_cases(request.user))

    def go():
        services.file_case(request.user, case)
        return "已归档"

    return _step(request, case, go)


@login_required
def case_link(request, case_id: int):
    """Link recordings (chosen or typed ids) or one activity; only what the user may see."""
    case = _case(request, case_id)
    if refused := post_only(request):
        return refused
    require(services.can_manage_cases(request.user))
    post = request.POST

    def go():
        if activity_id := (post.get("activity") or "").strip():
            activities = panels.CASE_ACTIVITIES.visible(request.user)
            activity = activities.filter(pk=int_or_none(activity_id) or 0).first()
            if activity is None:
                raise forms.FormError("执法活动不存在或不在您的权限范围内")
            added = services.link_activity(request.user, case, activity)
            return f"已关联执法活动 {activity.kind_name}" + (
                f"及其 {added} 条音像记录" if added else ""
            )
        ids = forms.parse_ids(post.getlist("recordings") + [post.get("ids", "")])
        if not ids:
            raise forms.FormError("请选择或填写要关联的音像记录")
        found = {r.pk: r for r in Recording.objects.visible_to(request.user).filter(pk__in=ids)}
        if missing := [i for i in ids if i not in found]:
            raise forms.FormError(
                "音像记录不存在或不在您的权限范围内：" + "、".join(map(str, missing))
            )
        added = services.link_recordings(request.user, case, list(found.values()))
        return f"已关联 {added} 条音像记录" if added else "所选音像记录已在本案卷中"

    return _step(request, case, go)


@login_required
def case_unlink(request, case_id: int):
    """Take a recording (or an activity) out of the case."""
    case = _case(request, case_id)
    if refused := post_only(request):
        return refused
    require(services.can_manage_cases(request.user))
    post = request.POST

    def go():
        if activity_id := int_or_none(post.get("activity")):
            activity = panels.CASE_ACTIVITIES.visible(request.user).filter(pk=activity_id).first()
            if activity is None:
                raise forms.FormError("执法活动不存在或不在您的权限范围内")
            services.unlink_activity(request.user, case, activity)
            return f"已移除执法活动 {activity.kind_name}"
        recording = Recording.objects.visible_to(request.user).filter(
            pk=int_or_none(post.get("recording")) or 0
        )
        recording = recording.first()
        if recording is None:
            raise forms.FormError("音像记录不存在或不在您的权限范围内")
        services.unlink_recording(request.user, case, recording)
        return f"已移除音像记录 {recording.original_name}"

    return _step(request, case, go)
