"""Pages for activities (U1), findings (U2–U7, M1) and the 待办 list (U3, U4). Rules live in
the services; these only parse the form, call them and show what they answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from avrecords.compliance import activities as acts
from avrecords.compliance import filters, imports, views_notice, workflows
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Activity, Exemption, Finding, FindingKind, FindingStatus
from avrecords.equipment.staffing import explosion_check
from avrecords.lib import form_errors
from avrecords.lib.filters import tell
from avrecords.lib.http import back_to, int_or_none
from avrecords.lib.refusals import require
from avrecords.org.models import Role, User
from avrecords.org.scope import (
    can_import_activities,
    can_record_activity,
    recording_q,
    shown_and_withheld,
)
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

PAGE_SIZE = 50


def _activity_or_404(user, pk: int):
    return Activity.objects.select_related("unit").get_visible(user, pk)


@login_required
def activity_list(request):
    qs, errors = filters.filter_activities(
        Activity.objects.select_related("unit")
        .prefetch_related("officers")
        .visible_to(request.user),
        request.GET,
    )
    tell(request, errors)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/activity_list.html",
        {
            "nav": "activities",
            "page": page,
            "can_record": can_record_activity(request.user),
            "can_import": can_import_activities(request.user),
        },
    )


def _form_input(request) -> acts.ActivityInput:
    """The form's fields as an ActivityInput; unparsable values become errors."""
    units, people = imports.lookups(request.user)
    row = {header: request.POST.get(name, "") for header, name in imports.COLUMNS.items()}
    row["执法人员"] = "、".join(request.POST.getlist("officers"))
    row["现场纠纷"] = "是" if request.POST.get("dispute") else "否"
    row["爆炸危险区域"] = "是" if request.POST.get("explosive_area") else "否"
    data, errors = imports.row_input(row, units, people)
    if errors:
        raise acts.ActivityInvalid(errors)
    return data


# The labels the activity's refusals start with (the form's and the import sheet's) → field.
ACTIVITY_FIELD_LABELS = {
    **imports.COLUMNS,
    "单位": "unit",
    "实际开始": "started_at",
    "实际结束": "ended_at",
}


def _form_context(request, values: dict, errors: list[str]):
    units, people = imports.lookups(request.user)
    unit = request.user.unit or next(iter(units.values()), None)
    profile = profile_for_unit(unit) if unit else None
    officers = sorted(
        {p.pk: p for p in people.values() if p.role == Role.OFFICER}.values(),
        key=lambda p: (p.unit.path, p.full_name),
    )
    return {
        "nav": "activities",
        "units": units.values(),
        "kinds": profile.activities if profile else [],
        "profile": profile,
        "officers": officers,
        "values": values,
        "chosen": set(values.getlist("officers")) if hasattr(values, "getlist") else set(),
        "errors": errors,
        "field_errors": form_errors.by_field(errors, ACTIVITY_FIELD_LABELS)[0],
    }


@login_required
def activity_new(request):
    require(can_record_activity(request.user))
    if request.method == "POST":
        try:
            activity = acts.create_activity(request.user, _form_input(request))
        except acts.ActivityInvalid as exc:
            return render(
                request,
                "compliance/activity_form.html",
                _form_context(request, request.POST, exc.errors),
                status=422,
            )
        evaluate_activity(activity)
        messages.success(request, f"已录入执法活动：{activity}")
        return redirect("compliance:activity", pk=activity.pk)
    initial = {"unit": request.user.unit.code if request.user.unit_id else ""}
    if request.user.role == Role.OFFICER and request.user.badge_no:
        initial["officers"] = request.user.badge_no
    return render(request, "compliance/activity_form.html", _form_context(request, initial, []))


@login_required
def activity_detail(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    profile = profile_for_unit(activity.unit)
    # M9: a recording the user may not see is left out, and only counted
    links, withheld = shown_and_withheld(
        request.user,
        activity.links.select_related("recording", "recording__officer").order_by(
            "recording__started_at"
        ),
        prefix="recording__",
    )
    is_officer = activity.officers.filter(pk=request.user.pk).exists()
    return render(
        request,
        "compliance/activity_detail.html",
        {
            "nav": "activities",
            "a": activity,
            "links": links,
            "withheld": withheld,
            "findings": activity.findings.order_by("kind", "id"),
            "device_problems": explosion_check(activity),
            "exemptions": activity.exemptions.select_related("submitted_by", "decided_by"),
            "grounds": workflows.exemption_grounds(profile),
            "can_link": can_record_activity(request.user),
            "can_exempt": is_officer and activity.must_record,
            "notice": views_notice.activity_notice(request.user, activity),  # U5
            "extension": profile.ingest.extension if profile else None,
            "extension_offer": workflows.extension_offer(request.user, activity),
        },
    )


@login_required
@require_POST
def activity_link(request, pk: int):
    require(can_record_activity(request.user))
    activity = _activity_or_404(request.user, pk)
    rec_id = int_or_none(request.POST.get("recording")) or 0
    recording = Recording.objects.filter(recording_q(request.user), pk=rec_id).first()
    if recording is None:
        messages.error(request, "音像记录不存在或不在您的权限范围内")
    elif request.POST.get("action") == "unlink":
        acts.unlink(request.user, activity, recording)
        messages.success(request, f"已取消关联 #{recording.pk}")
    else:
        acts.link(request.user, activity, recording)
        messages.success(request, f"已关联 #{recording.pk}")
    evaluate_activity(activity)
    return redirect("compliance:activity", pk=activity.pk)


@login_required
@require_POST
def activity_exemption(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    try:
        workflows.submit_exemption(
            request.user,
            activity,
            request.POST.get("ground", ""),
            request.POST.get("reason", ""),
        )
    except workflows.StepRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "免予记录申请已提交，等待审批")
    return redirect("compliance:activity", pk=activity.pk)


@login_required
@require_POST
def activity_extension(request, pk: int):
    activity = _activity_or_404(request.user, pk)
    try:
        warning = workflows.grant_extension(request.user, activity)
    except workflows.StepRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已同意延期存储" + (f"（已提示：{warning}）" if warning else ""))
    return redirect("compliance:activity", pk=activity.pk)


@login_required
def activity_import(request):
    require(can_import_activities(request.user))
    report, refused = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = "请选择要导入的文件"
        else:
            try:
                rows = imports.read_table(upload.name, upload.read(imports.MAX_FILE_BYTES + 1))
                units, people = imports.lookups(request.user)
                report = imports.import_rows(
                    request.user, rows, units, people, source_name=upload.name
                )
            except imports.ImportRefused as exc:
                refused = str(exc)
        if report and not report.errors:
            for activity in report.imported:
                evaluate_activity(activity)
    status = 422 if refused or (report and report.errors) else 200
    return render(
        request,
        "compliance/activity_import.html",
        {
            "nav": "activities",
            "report": report,
            "refused": refused,
            "columns": imports.COLUMNS,
            "required": imports.REQUIRED,
        },
        status=status,
    )


@login_required
def finding_list(request):
    qs, errors = filters.filter_findings(Finding.objects.visible_to(request.user), request.GET)
    tell(request, errors)
    status = request.GET.get("status") or "open"
    kind = request.GET.get("kind")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/finding_list.html",
        {
            "nav": "findings",
            "page": page,
            "kinds": FindingKind.choices,
            "statuses": FindingStatus.choices,
            "status": status,
            "kind": kind or "",
        },
    )


def _finding_or_404(user, pk: int) -> Finding:
    return Finding.objects.get_visible(user, pk)


@login_required
@require_POST
def finding_explain(request, pk: int):
    finding = _finding_or_404(request.user, pk)
    try:
        workflows.explain(
            request.user, finding, request.POST.get("reason", ""), request.POST.get("text", "")
        )
    except workflows.StepRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "中断说明已提交，等待单位负责人确认")
    return redirect(back_to(request, "inbox:todo"))


@login_required
@require_POST
def finding_acknowledge(request, pk: int):
    finding = _finding_or_404(request.user, pk)
    try:
        workflows.acknowledge(request.user, finding)
    except workflows.StepRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已确认中断说明")
    return redirect("inbox:todo")


@login_required
@require_POST
def exemption_decide(request, pk: int):
    exemption = get_object_or_404(
        Exemption.objects.filter(activity__in=Activity.objects.visible_to(request.user)), pk=pk
    )
    try:
        workflows.decide_exemption(
            request.user,
            exemption,
            request.POST.get("decision") == "approve",
            request.POST.get("note", ""),
        )
    except workflows.StepRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已审批")
    return redirect("inbox:todo")


def people_choices(user) -> list[User]:
    return list(imports.lookups(user)[1].values())
