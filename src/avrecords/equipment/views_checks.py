"""Pages for the pre-use check and the clock flags raised at ingest (E7).

A device or flag the user may not see is 404 (X2); one he may see but not act on is 403."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from avrecords.equipment import checks, clock
from avrecords.equipment.models import ClockFlag, Device, PreUseCheck
from avrecords.lib.http import back_to
from avrecords.lib.refusals import require
from avrecords.org.models import Unit
from avrecords.org.scope import can_view_equipment

PAGE_SIZE = 50


def _number(raw: str, kind, label: str, errors: list[str]):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors.append(f"{label}须为{'整数' if kind is int else '数字'}")
        return None


@login_required
@require_http_methods(["GET", "POST"])
def device_check(request, pk: int):
    device = Device.objects.select_related("unit").get_visible(request.user, pk)
    require(
        checks.may_check(request.user, device),
        "无权登记使用前检查：只有设备的当前领用人或本单位设备管理员可以登记",
    )
    errors: list[str] = []
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        numbers = {
            "battery_percent": _number(values.get("battery_percent"), int, "电量（%）", errors),
            "free_storage_gb": _number(
                values.get("free_storage_gb"), float, "剩余空间（GB）", errors
            ),
            "clock_offset_seconds": _number(
                values.get("clock_offset_seconds"), int, "时钟偏差（秒）", errors
            ),
        }
        if not errors:
            try:
                check = checks.record_check(
                    request.user,
                    device,
                    **{field: values.get(field) == "1" for field, _ in checks.ITEMS},
                    **numbers,
                    note=values.get("note", ""),
                )
            except checks.CheckInvalid as exc:
                errors = exc.errors
            else:
                failed = checks.failed_items(check)
                if failed:
                    messages.warning(
                        request, f"已登记使用前检查：未通过（{'、'.join(failed)}），请处理后再出勤"
                    )
                else:
                    messages.success(request, "已登记使用前检查：通过")
                return redirect("equipment:device", pk=device.pk)
    context = {
        "nav": "equipment",
        "device": device,
        "items": [(field, label, values.get(field) == "1") for field, label in checks.ITEMS],
        "values": values,
        "errors": errors,
        "last": checks.last_check(device),
        "flags": clock.open_flags(device),
        "device_page": Device.objects.visible_to(request.user).filter(pk=device.pk).exists(),
    }
    return render(request, "equipment/checks_form.html", context, status=422 if errors else 200)


@login_required
def check_list(request):
    qs = PreUseCheck.objects.visible_to(request.user)
    day_text = request.GET.get("date", "").strip()
    unit_id = request.GET.get("unit", "").strip()
    failed = request.GET.get("failed") == "1"
    error = ""
    if day_text:
        try:
            qs = qs.filter(checked_on=dt.date.fromisoformat(day_text))
        except ValueError:
            error = "日期格式应为 YYYY-MM-DD"
    units = Unit.objects.visible_to(request.user) if can_view_equipment(request.user) else []
    if unit_id:
        unit = units.filter(pk=unit_id).first() if unit_id.isdigit() and units else None
        qs = qs.filter(device__unit__path__startswith=unit.path) if unit else qs.none()
    if failed:
        qs = qs.exclude(works=True, battery_ok=True, storage_ok=True, clock_ok=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for check in page:
        check.failed = checks.failed_items(check)
    context = {
        "nav": "equipment",
        "page": page,
        "units": units,
        "day": day_text,
        "unit_id": unit_id,
        "failed": failed,
        "error": error,
    }
    return render(request, "equipment/checks_list.html", context)


@login_required
def flag_list(request):
    qs = ClockFlag.objects.visible_to(request.user)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(resolved_at=None)
    elif state == "resolved":
        qs = qs.exclude(resolved_at=None)
    else:
        state = "all"
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for flag in page:
        flag.offset_text = clock.describe_offset(flag.offset_seconds)
        flag.can_resolve = flag.resolved_at is None and clock.may_resolve(request.user, flag)
    return render(
        request,
        "equipment/clock_flags.html",
        {"nav": "equipment", "page": page, "state": state},
    )


@login_required
@require_POST
def flag_resolve(request, pk: int):
    flag = ClockFlag.objects.get_visible(request.user, pk)
    try:
        clock.resolve_flag(request.user, flag, request.POST.get("note", ""))
    except clock.FlagError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已处理设备 {flag.device.serial} 的时钟偏差")
    return redirect(back_to(request, "equipment:clock_flags"))
