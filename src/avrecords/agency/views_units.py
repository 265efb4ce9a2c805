"""单位 pages (issue 18 §1): the unit tree with the offices the profiles in use name, a new
unit, and a unit's page where it is renamed, moved, marked 现场执法分队, given a profile,
retired and reinstated. System administrators (`can_manage_units`); each page parses, calls
`agency.units` and renders, with the service's Chinese reasons under their fields."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from avrecords.agency import units as svc
from avrecords.agency.forms_units import checked, parent_of
from avrecords.agency.permissions import can_manage_units
from avrecords.audit.models import AuditEntry
from avrecords.lib import labels
from avrecords.lib.http import back_to
from avrecords.lib.refusals import Conflict, Invalid, require
from avrecords.org.models import Unit
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile, UnitPolicy

NAV = "units"
RECENT_ENTRIES = 10


def _unit(request, pk: int) -> Unit:
    require(can_manage_units(request.user))
    return Unit.objects.get_visible(request.user, pk)


@login_required
def unit_list(request):
    require(can_manage_units(request.user))
    units = list(Unit.objects.visible_to(request.user).select_related("parent"))
    names = {unit.pk: unit.name for unit in units}
    profiles = svc.effective_profiles(units)
    counts = svc.counts()
    rows = []
    for unit in units:
        profile, on = profiles[unit.pk]
        people, devices = counts.get(unit.pk, (0, 0))
        rows.append(
            {
                "unit": unit,
                "profile": profile,
                "inherited_from": names.get(on, "上级单位") if on and on != unit.pk else None,
                "people": people,
                "devices": devices,
            }
        )
    return render(
        request,
        "agency/unit_list.html",
        {
            "nav": NAV,
            "rows": [r for r in rows if r["unit"].retired_at is None],
            "retired": [r for r in rows if r["unit"].retired_at is not None],
            "offices": svc.offices(),
        },
    )


@login_required
def unit_new(request):
    require(can_manage_units(request.user))
    values = request.POST if request.method == "POST" else request.GET
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            unit = svc.create_unit(
                request.user,
                name=values.get("name", ""),
                code=values.get("code", ""),
                parent=parent_of(request.user, values.get("parent")),
                field_squad=checked(values.get("field_squad", "")),
            )
        except Invalid as exc:
            errors = exc.fields or {"name": str(exc)}
        else:
            messages.success(request, f"已新建单位 {unit.name}（单位代码 {unit.code}）")
            return redirect(back_to(request, f"/agency/units/{unit.pk}/"))
    return render(
        request,
        "agency/unit_new.html",
        {
            "nav": NAV,
            "values": values,
            "errors": errors,
            "parents": svc.parent_choices(request.user),
        },
        status=422 if errors else 200,
    )


def _detail(request, unit: Unit, errors: dict | None = None, reasons=None, status: int = 200):
    effective, on_unit = policies.assignment_of(unit)
    own = UnitPolicy.objects.filter(unit=unit).select_related("profile").first()
    people, devices = svc.counts().get(unit.pk, (0, 0))
    entries = AuditEntry.objects.filter(object_type="org.unit", object_id=str(unit.pk))
    return render(
        request,
        "agency/unit_detail.html",
        {
            "nav": NAV,
            "unit": unit,
            "profile": effective,
            "inherited_from": on_unit if on_unit and on_unit.pk != unit.pk else None,
            "own": own.profile if own else None,
            "profiles": PolicyProfile.objects.all(),
            "parents": svc.parent_choices(request.user, unit),
            "children": Unit.objects.filter(parent=unit),
            "people": people,
            "devices": devices,
            "blockers": svc.still_active(unit) if unit.retired_at is None else [],
            "entries": [(e, _said(e)) for e in entries.order_by("-seq")[:RECENT_ENTRIES]],
            "errors": errors or {},
            "reasons": reasons or [],
            "values": request.POST,
        },
        status=status,
    )


def _said(entry: AuditEntry) -> str:
    """An entry's summary as people read it: a profile assignment's names the profile by its
    name (its summary keeps the profile's code)."""
    if entry.action == "policy.assign":
        after = (entry.detail or {}).get("after")
        return "适用策略：" + (labels.get(labels.PROFILE, after) if after else "继承上级")
    return entry.summary


@login_required
def unit_detail(request, pk: int):
    return _detail(request, _unit(request, pk))


def _step(request, pk: int, act, done: str):
    """Run one change of the unit's page: its message on success, else the page again with
    the reasons (under their fields) and the refusal's status; nothing changed."""
    unit = _unit(request, pk)
    try:
        act(unit)
    except (Invalid, Conflict) as exc:
        unit.refresh_from_db()
        reasons = exc.reasons or ([] if exc.fields else [str(exc)])
        return _detail(request, unit, exc.fields, reasons, status=exc.status)
    messages.success(request, done.format(name=unit.name))
    return redirect("agency:unit", pk=unit.pk)


@login_required
@require_POST
def unit_rename(request, pk: int):
    def act(unit):
        svc.rename_unit(
            request.user, unit, name=request.POST.get("name", ""), code=request.POST.get("code")
        )

    return _step(request, pk, act, "已保存单位 {name} 的名称和代码")


@login_required
@require_POST
def unit_move(request, pk: int):
    def act(unit):
        svc.move_unit(request.user, unit, parent_of(request.user, request.POST.get("parent")))

    return _step(request, pk, act, "已调整 {name} 的上级单位，其下级单位随之调整")


@login_required
@require_POST
def unit_field_squad(request, pk: int):
    def act(unit):
        svc.set_field_squad(request.user, unit, checked(request.POST.get("field_squad", "")))

    return _step(request, pk, act, "已保存 {name} 是否为现场执法分队")


@login_required
@require_POST
def unit_profile(request, pk: int):
    def act(unit):
        svc.assign_profile(request.user, unit, request.POST.get("profile", ""))

    return _step(request, pk, act, "{name} 的适用策略已更新")


@login_required
@require_POST
def unit_retire(request, pk: int):
    def act(unit):
        svc.retire_unit(request.user, unit, request.POST.get("reason", ""))

    return _step(request, pk, act, "已撤销单位 {name}，其历史记录保留")


@login_required
@require_POST
def unit_reinstate(request, pk: int):
    def act(unit):
        svc.reinstate_unit(request.user, unit)

    return _step(request, pk, act, "已恢复单位 {name}")
