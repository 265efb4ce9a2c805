"""执法策略 pages (X3): profiles with their articles, import/export as YAML, unit assignment,
and the working-day table (M1). Everyone signed in reads; system administrators change."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit
from avrecords.org.scope import can_manage_policies
from avrecords.policies import services
from avrecords.policies.deadlines import describe
from avrecords.policies.models import HolidayOverride, PolicyProfile, UnitPolicy

UPLOAD_FIELD = "file"


def _profile_or_404(code: str) -> PolicyProfile:
    row = PolicyProfile.objects.filter(code=code).first()
    if row is None:
        raise NotFound("策略不存在")
    return row


def _require_manager(request) -> None:
    require(can_manage_policies(request.user))


@login_required
def profile_list(request):
    used = {}
    for row in UnitPolicy.objects.select_related("unit"):
        used.setdefault(row.profile_id, []).append(row.unit)
    rows = [(p, used.get(p.pk, [])) for p in PolicyProfile.objects.all()]
    mine, on_unit = (None, None)
    if request.user.unit_id:
        mine, on_unit = services.assignment_of(request.user.unit)
    return render(
        request,
        "policies/list.html",
        {
            "nav": "policies",
            "rows": rows,
            "mine": mine,
            "mine_on": on_unit,
            "can_manage": can_manage_policies(request.user),
        },
    )


@login_required
def profile_detail(request, code: str):
    row = _profile_or_404(code)
    profile = row.profile
    deadline = profile.ingest.deadline
    context = {
        "nav": "policies",
        "row": row,
        "p": profile,
        "deadline_text": describe(deadline),
        "extension_text": describe(profile.ingest.extension) if profile.ingest.extension else "",
        "can_manage": can_manage_policies(request.user),
    }
    return render(request, "policies/detail.html", context)


@login_required
def profile_export(request, code: str):
    row = _profile_or_404(code)
    response = HttpResponse(row.source, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{row.code}.yaml"'
    return response


def _submitted_text(request) -> str | None:
    upload = request.FILES.get(UPLOAD_FIELD)
    if upload is not None:
        raw = upload.read(services.MAX_SOURCE_BYTES + 1)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise services.ProfileInvalid(["文件不是 UTF-8 编码的 YAML"]) from exc
    return request.POST.get("source")


@login_required
def profile_new(request):
    _require_manager(request)
    source, errors = "", []
    based_on = request.GET.get("from")
    if request.method == "GET" and based_on:
        source = _profile_or_404(based_on).source
    if request.method == "POST":
        try:
            source = _submitted_text(request) or ""
            row = services.save_profile(request.user, source)
        except services.ProfileInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已导入策略 {row}")
            return redirect("policies:detail", code=row.code)
    return render(
        request,
        "policies/edit.html",
        {"nav": "policies", "source": source, "errors": errors, "row": None},
        status=422 if errors else 200,
    )


@login_required
def profile_edit(request, code: str):
    _require_manager(request)
    row = _profile_or_404(code)
    if row.builtin:
        messages.error(request, "随产品提供的策略不能修改；请以它为模板新建（导入）一个策略。")
        return redirect("policies:detail", code=row.code)
    source, errors = row.source, []
    if request.method == "POST":
        try:
            source = _submitted_text(request) or ""
            services.save_profile(request.user, source, replace=row.code)
        except services.ProfileInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"已保存策略 {row}")
            return redirect("policies:detail", code=row.code)
    return render(
        request,
        "policies/edit.html",
        {"nav": "policies", "source": source, "errors": errors, "row": row},
        status=422 if errors else 200,
    )


@login_required
def unit_assignments(request):
    _require_manager(request)
    profiles = {p.code: p for p in PolicyProfile.objects.all()}
    if request.method == "POST":
        unit = Unit.objects.filter(pk=request.POST.get("unit") or 0).first()
        code = request.POST.get("profile", "")
        if unit is None or (code and code not in profiles):
            messages.error(request, "单位或策略不存在")
        else:
            services.assign(request.user, unit, profiles.get(code))
            messages.success(request, f"{unit.name} 的适用策略已更新")
        return redirect("policies:units")
    own = {row.unit_id: row.profile for row in UnitPolicy.objects.select_related("profile")}
    rows = []
    for unit in Unit.objects.all():
        effective, on_unit = services.assignment_of(unit)
        rows.append((unit, own.get(unit.pk), effective, on_unit))
    return render(
        request,
        "policies/units.html",
        {"nav": "policies", "rows": rows, "profiles": profiles.values()},
    )


def _parse_day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


@login_required
def calendar_page(request):
    today = timezone.localdate()
    if request.method == "POST":
        _require_manager(request)
        day = _parse_day(request.POST.get("day"))
        if day is None:
            messages.error(request, "日期格式应为 2027-01-01")
        elif request.POST.get("action") == "remove":
            services.remove_holiday(request.user, day)
            messages.success(request, f"已删除 {day} 的调整")
        elif request.POST.get("workday") not in ("0", "1"):
            messages.error(request, "请选择安排：放假（休息）或调休上班")
        else:
            workday = request.POST.get("workday") == "1"
            services.set_holiday(
                request.user, day, workday=workday, name=request.POST.get("name", "")
            )
            messages.success(request, f"已将 {day} 设为{'上班' if workday else '休息'}")
        return redirect("policies:calendar")
    years = [today.year - 1, today.year, today.year + 1]
    return render(
        request,
        "policies/calendar.html",
        {
            "nav": "policies",
            "years": services.year_status(years),
            "overrides": HolidayOverride.objects.select_related("entered_by"),
            "can_manage": can_manage_policies(request.user),
        },
    )
