"""Clearance pages (E5): start a transfer or departure, follow its checklist, hand over the
recordings, complete it (refused while anything is outstanding) or cancel it.

Served under /equipment/clearances/ as before, shown in the equipment menu; they belong to
compliance with the procedure (`compliance.clearance`) because it reads recordings and
findings (issue 16)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from avrecords.compliance import clearance as svc
from avrecords.equipment.forms import FormError, people_in_scope, person_in_scope
from avrecords.equipment.models import Clearance, ClearanceKind, ClearanceStatus
from avrecords.lib.refusals import NotFound, require
from avrecords.org.models import Unit
from avrecords.org.scope import can_manage_equipment, can_view_equipment


def _destination(user, value):
    """The 调入单位 chosen for a transfer within the agency (issue 18 §1), or None."""
    if not value:
        return None
    try:
        return Unit.objects.get_visible(user, int(value))
    except (TypeError, ValueError, NotFound) as exc:
        raise FormError("调入单位：请选择本局的单位") from exc


@login_required
def clearance_list(request):
    require(can_view_equipment(request.user))
    qs = Clearance.objects.visible_to(request.user)
    status = request.GET.get("status", ClearanceStatus.OPEN)
    if status in ClearanceStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "compliance/clearance_list.html",
        {
            "nav": "equipment",
            "items": qs[:200],
            "status": status,
            "statuses": ClearanceStatus.choices,
            "now": timezone.now(),
            "can_manage": can_manage_equipment(request.user),
        },
    )


@login_required
def clearance_new(request):
    require(can_manage_equipment(request.user))
    errors, values = [], request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            person = person_in_scope(request.user, values.get("person"))
            successor = person_in_scope(request.user, values.get("successor"))
            item = svc.start(
                request.user,
                person,
                values.get("kind", ""),
                successor,
                reason=values.get("reason", ""),
                to_unit=_destination(request.user, values.get("to_unit")),
            )
        except (FormError, svc.ClearanceError) as exc:
            errors.append(str(exc))
        else:
            messages.success(request, f"已发起 {person.display_name} 的交接")
            return redirect("compliance:clearance", pk=item.pk)
    return render(
        request,
        "compliance/clearance_new.html",
        {
            "nav": "equipment",
            "people": people_in_scope(request.user),
            "kinds": ClearanceKind.choices,
            "units": Unit.objects.visible_to(request.user).filter(retired_at__isnull=True),
            "values": values,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@login_required
def clearance_detail(request, pk: int):
    require(can_view_equipment(request.user))
    item = Clearance.objects.get_visible(request.user, pk)
    checklist = svc.checklist(item) if item.status == ClearanceStatus.OPEN else []
    return render(
        request,
        "compliance/clearance_detail.html",
        {
            "nav": "equipment",
            "c": item,
            "checklist": checklist,
            "blocked": [i for i in checklist if not i.done],
            "overdue": timezone.now() - item.due_at
            if item.status == ClearanceStatus.OPEN and item.due_at < timezone.now()
            else None,
            "can_manage": can_manage_equipment(request.user),
        },
    )


def _step(request, pk: int, step) -> Clearance:
    require(can_manage_equipment(request.user))
    item = Clearance.objects.get_visible(request.user, pk)
    try:
        messages.success(request, step(item))
    except svc.ClearanceError as exc:
        messages.error(request, str(exc) + ("：" + "；".join(exc.items) if exc.items else ""))
    return item


@login_required
@require_POST
def clearance_handover(request, pk: int):
    def go(item):
        done = svc.hand_over(request.user, item)
        return f"已移交 {item.successor.display_name}：{done['recordings']} 条音像记录、{done['findings']} 个待处理问题"

    _step(request, pk, go)
    return redirect("compliance:clearance", pk=pk)


@login_required
@require_POST
def clearance_complete(request, pk: int):
    def go(item):
        svc.complete(request.user, item)
        if item.to_unit_id:
            return f"{item.person.display_name} 的交接已办结，已调入 {item.to_unit.name}"
        return f"{item.person.display_name} 的交接已办结，账号已停用"

    _step(request, pk, go)
    return redirect("compliance:clearance", pk=pk)


@login_required
@require_POST
def clearance_cancel(request, pk: int):
    def go(item):
        svc.cancel(request.user, item, request.POST.get("reason", ""))
        return "交接已撤销"

    _step(request, pk, go)
    return redirect("compliance:clearance", pk=pk)
