"""Equipment ledger pages (E1–E7): dashboard, device list and page, issue/return, events, the
staffing report. Rules live in custody/events/staffing; these parse, call and show."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from avrecords.audit import services as audit
from avrecords.equipment import checks, clock, events, staffing
from avrecords.equipment.access import device_in_unit_scope, filter_devices, unit_choices
from avrecords.equipment.custody import (
    CustodyError,
    issue_device,
    open_custody,
    return_device,
    settle_accessories,
)
from avrecords.equipment.forms import FormError, parse_when, people_in_scope, person_in_scope
from avrecords.equipment.models import (
    CARRIED_KINDS,
    Clearance,
    ClearanceStatus,
    ClockFlag,
    Custody,
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceStatus,
    EventKind,
)
from avrecords.lib.refusals import Forbidden, NotFound, require
from avrecords.org.models import Unit
from avrecords.org.scope import can_manage_equipment, can_view_equipment
from avrecords.policies.schema import FEATURES
from avrecords.policies.services import profile_for_unit

PAGE_SIZE = 50


def _managed_device(request, pk: int):
    """A device the user keeps the ledger for: 403 without the permission, 404 outside scope."""
    require(can_manage_equipment(request.user))
    device = Device.objects.select_related("unit").get_visible(request.user, pk)
    require(device_in_unit_scope(request.user, device))
    return device


@login_required
def index(request):
    """Dashboard per unit: devices by status, custody, overdue, below spec, ratio status."""
    require(can_view_equipment(request.user))
    code = request.GET.get("unit", "")
    devices = filter_devices(request.user, {"unit": code})
    units = list(Unit.objects.visible_to(request.user))
    chosen = next((u for u in units if u.code == code), None)
    if chosen is not None:
        units = [u for u in units if u.path.startswith(chosen.path)]
    by_status = Counter(devices.values_list("status", flat=True))
    out_now = Custody.objects.filter(device__in=devices, ended_at__isnull=True)
    overdue = (
        out_now.filter(
            Q(holder__is_active=False)
            | Q(
                holder__clearances__status=ClearanceStatus.OPEN,
                holder__clearances__due_at__lt=timezone.now(),
            )
        )
        .select_related("device", "holder")
        .distinct()
    )
    ratio = staffing.ratio_report(units)
    return render(
        request,
        "equipment/index.html",
        {
            "nav": "equipment",
            "statuses": [(s, by_status.get(s.value, 0)) for s in DeviceStatus],
            "unit_choices": unit_choices(request.user),
            "chosen": chosen,
            "owed": Custody.objects.filter(device__in=devices)
            .exclude(missing_accessories=[])
            .select_related("device", "holder"),
            "in_repair": devices.filter(status=DeviceStatus.REPAIR).select_related("unit"),
            "total": sum(by_status.values()),
            "issued": out_now.count(),
            "overdue": overdue,
            "below": staffing.below_spec(devices),
            "short": [r for r in ratio if r.applies and not r.ok],
            "ratio_ok": sum(1 for r in ratio if r.applies and r.ok),
            "unchecked": checks.unchecked_today(devices),
            "clock_flags": ClockFlag.objects.filter(
                device__in=devices, resolved_at__isnull=True
            ).select_related("device"),
            "losses": events.pending_acknowledgements(request.user),
            "clearances": Clearance.objects.filter(
                unit__in=units, status=ClearanceStatus.OPEN
            ).select_related("person", "successor"),
        },
    )


@login_required
def device_list(request):
    qs = filter_devices(request.user, request.GET).select_related("unit")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    holders = {
        c.device_id: c
        for c in Custody.objects.filter(
            device__in=[d.pk for d in page], ended_at__isnull=True
        ).select_related("holder")
    }
    for device in page:
        device.current = holders.get(device.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "equipment/device_list.html",
        {
            "nav": "equipment",
            "page": page,
            "units": unit_choices(request.user),
            "kinds": DeviceKind.choices,
            "statuses": DeviceStatus.choices,
            "filters": request.GET,
            "query": query.urlencode(),
            "can_manage": can_manage_equipment(request.user),
        },
    )


@login_required
def device_detail(request, pk: int):
    device = Device.objects.select_related("unit").get_visible(request.user, pk)
    profile = profile_for_unit(device.unit)
    minimum = profile.equipment.specs if profile else None
    below, unknown = staffing.spec_shortfalls(device, minimum)
    manage = can_manage_equipment(request.user) and device_in_unit_scope(request.user, device)
    custody = open_custody(device)
    specs = device.specs or {}
    audit.record("device.view", actor=request.user, obj=device, summary=f"查看设备 {device.serial}")
    return render(
        request,
        "equipment/device_detail.html",
        {
            "nav": "equipment",
            "d": device,
            "custody": custody,
            "history": device.custodies.select_related("holder", "issued_by", "returned_by")[:20],
            "owed": device.custodies.exclude(missing_accessories=[]).select_related("holder"),
            "events": device.events.select_related("operator", "person")[:50],
            "checks": device.checks.select_related("checked_by")[:10],
            "flags": clock.open_flags(device),
            "features": [(name, specs.get(code)) for code, name in FEATURES.items()],
            "numbers": [
                ("分辨率", specs.get("resolution"), "P"),
                ("续航", specs.get("battery_hours"), "小时"),
                ("存储", specs.get("storage_gb"), "GB"),
            ],
            "below": below,
            "unknown": unknown,
            "minimum": minimum,
            "required": [FEATURES[f] for f in minimum.required] if minimum else [],
            "manage": manage,
            "people": people_in_scope(request.user) if manage else [],
            "event_kinds": [
                (k, label)
                for k, label in EventKind.choices
                if k != EventKind.STATUS and device.status in events.TRANSITIONS[k][0]
            ],
            "can_check": checks.may_check(request.user, device),
        },
    )


def _act(request, action) -> None:
    try:
        done = action()
    except (CustodyError, FormError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)


@login_required
@require_POST
def device_issue(request, pk: int):
    device = _managed_device(request, pk)

    def go():
        holder = person_in_scope(request.user, request.POST.get("holder"))
        issue_device(
            device,
            holder,
            operator=request.user,
            when=parse_when(request.POST.get("when")),
            condition=request.POST.get("condition", ""),
            accessories=request.POST.get("accessories", ""),
            note=request.POST.get("note", ""),
        )
        return f"已发放给 {holder.display_name}"

    _act(request, go)
    return redirect("equipment:device", pk=device.pk)


@login_required
@require_POST
def device_return(request, pk: int):
    device = _managed_device(request, pk)

    def go():
        custody = return_device(
            device,
            operator=request.user,
            when=parse_when(request.POST.get("when")),
            condition=request.POST.get("condition", ""),
            returned_accessories=request.POST.getlist("accessories"),
            note=request.POST.get("note", ""),
        )
        missing = "、".join(custody.missing_accessories)
        return "已归还" + (f"；未归还配件：{missing}（计入交接清单）" if missing else "")

    _act(request, go)
    return redirect("equipment:device", pk=device.pk)


@login_required
@require_POST
def device_event(request, pk: int):
    device = _managed_device(request, pk)

    def go():
        event = events.record_event(
            request.user,
            device,
            request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
            vendor=request.POST.get("vendor", ""),
            when=parse_when(request.POST.get("when")),
        )
        extra = "；已通知单位负责人并生成违规线索" if event.kind in events.LOSSES else ""
        return f"已登记：{event.get_kind_display()}{extra}"

    _act(request, go)
    return redirect("equipment:device", pk=device.pk)


@login_required
@require_POST
def custody_accessories(request, pk: int):
    require(can_manage_equipment(request.user))
    devices = Device.objects.visible_to(request.user)
    custody = get_object_or_404(
        Custody.objects.filter(device__in=devices).select_related("device"), pk=pk
    )
    require(device_in_unit_scope(request.user, custody.device))

    def go():
        names = request.POST.getlist("names")
        how = "lost" if request.POST.get("how") == "lost" else "returned"
        settle_accessories(custody, names, operator=request.user, how=how)
        return f"已登记{'补还' if how == 'returned' else '遗失注销'}配件：{'、'.join(names)}"

    _act(request, go)
    return redirect("equipment:device", pk=custody.device_id)


@login_required
@require_POST
def event_acknowledge(request, pk: int):
    devices = Device.objects.visible_to(request.user)
    event = get_object_or_404(
        DeviceEvent.objects.filter(device__in=devices).select_related("device__unit"), pk=pk
    )
    if not device_in_unit_scope(request.user, event.device):  # a former holder: not his to see
        raise NotFound()
    try:
        events.acknowledge(request.user, event)
    except CustodyError as exc:  # this page has always answered every refusal here 403
        raise Forbidden(str(exc)) from exc
    messages.success(request, f"已阅：{event.device.serial} {event.get_kind_display()}报告")
    if next_page := request.POST.get("next"):  # the 待办 page sends itself
        return redirect(next_page)
    return redirect("equipment:device", pk=event.device_id)


@login_required
def staffing_report(request):
    require(can_view_equipment(request.user))
    rows = staffing.ratio_report(Unit.objects.visible_to(request.user))
    audit.record("equipment.report", actor=request.user, summary="查看配备标准核查")
    return render(
        request,
        "equipment/staffing.html",
        {
            "nav": "equipment",
            "rows": rows,
            "carried": [DeviceKind(k).label for k in CARRIED_KINDS],
        },
    )
