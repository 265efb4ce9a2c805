"""A person's page (issue 18 §1): his overview, and the start of his transfer to another unit.

The page shows what `agency.person_page` gathers; its buttons lead to the pages that act —
editing and resetting the password (`agency.people`'s pages, shown when installed), unlocking
his sign-in (the 登录锁定 page's unlock, a system administrator's), a departure (the clearance
start page, with him chosen) — and its one form starts a transfer (`agency.transfers`), which
is then followed on the clearance's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from avrecords.agency import person_page, transfers, two_factor
from avrecords.agency.permissions import can_manage_people
from avrecords.compliance.clearance import ClearanceError
from avrecords.equipment.models import ClearanceKind
from avrecords.lib.refusals import Invalid, require
from avrecords.org.models import User
from avrecords.org.scope import can_manage_equipment, sees_everything

TRANSFER_FIELDS = ("to_unit", "successor", "reason")


def _url(name: str, pk: int) -> str | None:
    """Another part's page about him, or None while that part is not installed."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _person(request, pk: int) -> User:
    require(can_manage_people(request.user), transfers.NOT_ALLOWED)
    return User.objects.get_visible(request.user, pk)


def _render(request, person: User, *, values=None, errors=None, summary=(), status=200):
    view = person_page.overview(person)
    user = request.user
    on_duty = view.status == person_page.ON_DUTY
    may_clear = on_duty and person.unit_id is not None and can_manage_equipment(user)
    leave_url = None
    if may_clear:
        leave_url = (
            f"{reverse('compliance:clearance_new')}?person={person.pk}&kind={ClearanceKind.LEAVE}"
        )
    context = {
        "nav": "people",
        "p": person,
        "view": view,
        "edit_url": _url("agency:person_edit", person.pk),
        "password_url": _url("agency:person_password", person.pk),
        # another administrator's reset of his authenticator (agency.two_factor), never one's own
        "two_factor_reset_url": _url("agency:two_factor_reset", person.pk)
        if view.two_factor_enrolled and two_factor.can_reset(user, person)
        else None,
        # the unlock is the 登录锁定 page's, a system administrator's (web.login_throttle)
        "may_unlock": view.locked and user.is_authenticated and sees_everything(user),
        "may_transfer": on_duty and person.unit_id is not None,
        "leave_url": leave_url,
        "destinations": transfers.destinations(user, person),
        "successors": transfers.successors(user, person),
        "values": values or {},
        "errors": errors or {},
        "summary": list(summary),
    }
    return render(request, "agency/person_detail.html", context, status=status)


@login_required
def person_detail(request, pk: int):
    return _render(request, _person(request, pk))


@login_required
@require_POST
def person_transfer(request, pk: int):
    person = _person(request, pk)
    values = {name: request.POST.get(name, "").strip() for name in TRANSFER_FIELDS}
    try:
        item = transfers.start_transfer(
            request.user,
            person,
            to_unit=values["to_unit"],
            successor=values["successor"],
            reason=values["reason"],
        )
    except Invalid as exc:
        return _render(request, person, values=values, errors=exc.fields, status=422)
    except ClearanceError as exc:
        return _render(request, person, values=values, summary=[str(exc)], status=409)
    messages.success(
        request,
        f"已发起 {person.display_name} 调入 {item.to_unit.name} 的交接：设备归还、资料移交后办结",
    )
    return redirect("compliance:clearance", pk=item.pk)
