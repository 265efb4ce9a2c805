"""人员 pages (issue 18 §1): the list of the people one manages (search, filters, pages; cards
on phones), a new person, a person's edit form, and a password reset that shows the temporary
password once. Who: `can_manage_people`; whom: `agency.people` (the scope rule). Each view
parses, calls the service and renders its Chinese reasons under their fields."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers

from avrecords.agency import forms_people as forms
from avrecords.agency import people
from avrecords.agency.permissions import can_manage_people, manages_everyone
from avrecords.lib.filters import tell
from avrecords.lib.refusals import Conflict, Invalid, require
from avrecords.org.models import Role, User

NAV = "people"


def person_url_name() -> str:
    """The person's own page once it exists (`agency:person`), else his edit form."""
    try:
        reverse("agency:person", args=[1])
    except NoReverseMatch:
        return "agency:person_edit"
    return "agency:person"


def _roles(actor) -> list[tuple[str, str]]:
    if manages_everyone(actor):
        return list(Role.choices)
    return [(k, label) for k, label in Role.choices if k != Role.SYSADMIN]


@login_required
def person_list(request):
    require(can_manage_people(request.user))
    g = request.GET
    qs, errors = people.filter_people(request.user, g)
    tell(request, errors)
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(g.get("page"))
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "agency/people_list.html",
        {
            "nav": NAV,
            "page": page,
            "filters": g,
            "query": query.urlencode(),
            "units": forms.unit_choices(request.user),
            "roles": Role.choices,
            "statuses": people.STATUSES,
            "person_url": person_url_name(),
        },
    )


def _form(request, *, person: User | None, values: dict, errors=None, top=None, status=200):
    errors = errors or {}
    return render(
        request,
        "agency/people_form.html",
        {
            "nav": NAV,
            "person": person,
            "values": values,
            "errors": errors,
            "top": top or [],
            "units": forms.unit_choices(request.user, keep=person.unit_id if person else None),
            "roles": _roles(request.user),
            "marks": forms.clearance_choices(),
            "person_url": person_url_name(),
        },
        status=status,
    )


def _shown_once(request, person: User, password: str, *, created: bool):
    """The page that shows a temporary password: once, never cached, never in a link."""
    response = render(
        request,
        "agency/people_password_shown.html",
        {
            "nav": NAV,
            "person": person,
            "password": password,
            "created": created,
            "person_url": person_url_name(),
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
def person_new(request):
    require(can_manage_people(request.user))
    if request.method != "POST":
        values = {"unit": str(request.user.unit_id or ""), "role": Role.OFFICER}
        return _form(request, person=None, values=values)
    fields, errors = forms.read_person(request.POST)
    top: list[str] = []
    if not errors:
        try:
            person, password = people.create_person(request.user, **fields)
        except Invalid as exc:
            errors = exc.fields
            top = exc.reasons
        else:
            return _shown_once(request, person, password, created=True)
    return _form(
        request,
        person=None,
        values=forms.posted_values(request.POST),
        errors=errors,
        top=top,
        status=422,
    )


@login_required
def person_edit(request, pk: int):
    require(can_manage_people(request.user))
    person = people.managed_person(request.user, pk)
    if request.method != "POST":
        return _form(request, person=person, values=forms.values_of(person))
    fields, errors = forms.read_person(request.POST)
    top: list[str] = []
    if not errors:
        try:
            people.update_person(request.user, person, **fields)
        except Invalid as exc:
            errors, top = exc.fields, exc.reasons
        except Conflict as exc:
            top = [str(exc)]
        else:
            messages.success(request, f"已保存 {person.display_name} 的信息")
            return redirect(person_url_name(), pk=person.pk)
    person.refresh_from_db()
    return _form(
        request,
        person=person,
        values=forms.posted_values(request.POST),
        errors=errors,
        top=top,
        status=422,
    )


@login_required
def person_password(request, pk: int):
    """GET: the question; POST: a new temporary password, shown once."""
    require(can_manage_people(request.user))
    person = people.managed_person(request.user, pk)
    if request.method != "POST":
        return render(
            request,
            "agency/people_password.html",
            {"nav": NAV, "person": person, "person_url": person_url_name()},
        )
    password = people.reset_password(request.user, person)
    return _shown_once(request, person, password, created=False)
