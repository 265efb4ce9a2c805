"""Resetting another person's two-factor sign-in (issue 18 §5): a confirmation page and its
POST, for system administrators; the rule is agency/two_factor.reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from avrecords.agency import two_factor
from avrecords.agency.permissions import can_manage_people
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import require
from avrecords.org.models import User


def _person_page(person) -> str:
    try:
        return reverse("agency:person", args=[person.pk])
    except NoReverseMatch:  # the person page is another part's (issue 18 §1)
        return reverse("agency:two_factor_reset", args=[person.pk])


@login_required
def reset(request, pk: int):
    require(can_manage_people(request.user), "只有系统管理员可以重置他人的双因素登录")
    person = User.objects.get_visible(request.user, pk)
    if request.method == "POST":
        removed = two_factor.reset(request.user, person, ip=client_ip(request))
        messages.success(
            request,
            f"已重置 {person.display_name} 的双因素登录，其下次登录时须重新启用"
            if removed
            else f"{person.display_name} 未启用双因素登录，无需重置（已记录）",
        )
        return redirect(_person_page(person))
    context = {
        "person": person,
        "state": two_factor.state_of(person),
        "enrolled": two_factor.is_enrolled(person),
        "oneself": person.pk == request.user.pk,
        "person_page": _person_page(person),
    }
    return render(request, "agency/two_factor_reset.html", context)
