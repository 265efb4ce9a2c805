"""角色与权限 pages (issue 18 §5): each role's scope, capabilities and decisions in a chosen
unit, and a proposed assignment checked before it is made. Read-only: system
administrators (`can_set_up`); the answers are computed in `agency/roles.py`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from avrecords.agency import roles
from avrecords.agency.permissions import can_set_up
from avrecords.lib.refusals import Invalid, require
from avrecords.org.models import Role, Unit, User


def _units(user):
    return Unit.objects.visible_to(user).filter(retired_at__isnull=True).order_by("path")


def _unit_or_none(user, raw: str | None) -> Unit | None:
    return Unit.objects.get_visible(user, raw) if raw else None


@login_required
def by_role(request):
    require(can_set_up(request.user))
    unit = _unit_or_none(request.user, request.GET.get("unit")) or roles.root_unit()
    rows = roles.step_rows(unit) if unit is not None else []
    table = roles.role_table(rows)
    context = {
        "nav": "roles",
        "tab": "roles",
        "table": table,
        "unit": unit,
        "units": _units(request.user),
        "profile_name": roles.profile_name(unit) if unit is not None else "",
        "rows": rows,
    }
    return render(request, "agency/roles_by_role.html", context)


@login_required
def check(request):
    require(can_set_up(request.user))
    viewer, data = request.user, request.GET
    context = {
        "nav": "roles",
        "tab": "check",
        "people": User.objects.visible_to(viewer)
        .select_related("unit")
        .order_by("unit__path", "full_name", "username"),
        "role_choices": Role.choices,
        "units": _units(viewer),
        "data": data,
        "chosen_supervised": data.getlist("supervised"),
        "errors": {},
    }
    status = 200
    if data.get("person"):
        person = User.objects.get_visible(viewer, data["person"])
        unit = _unit_or_none(viewer, data.get("unit")) if data.get("unit") else person.unit
        supervised = [
            Unit.objects.get_visible(viewer, pk) for pk in data.getlist("supervised") if pk
        ]
        context["person"] = person
        try:
            proposal = roles.proposal(person, data.get("role", ""), unit, supervised)
        except Invalid as exc:
            context["errors"] = exc.fields
            status = 422
        else:
            context["outcome"] = roles.check(proposal)
    return render(request, "agency/roles_check.html", context, status=status)
