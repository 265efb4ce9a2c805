"""工作台: the landing page of every role (issue 17 §2); the figures come from `workbench`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from avrecords.equipment.custody import held_now
from avrecords.org.models import Role
from avrecords.web import workbench


@login_required
@require_GET
def workbench_page(request):
    user = request.user
    context = {
        "nav": "workbench",
        "waiting": workbench.waiting_for(user),
        "numbers": workbench.today_numbers(user),
        "officer": user.role == Role.OFFICER,
        # the worklist is counted for the body already: the menu's counts are drawn in place
        "menu_counts_inline": True,
    }
    if workbench.shows_chart(user):
        days = workbench.last_days(user)
        context["days"] = days
        context["chart"] = workbench.bar_chart(days)
    if context["officer"]:
        context["recent"] = workbench.my_recordings(user)
        context["held"] = held_now(user)
    return render(request, "web/workbench.html", context)
