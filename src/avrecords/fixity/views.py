"""The 完整性校验 page (M2): open alarms, coverage and recent checks, for the user's units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from avrecords.fixity import services
from avrecords.fixity.models import FixityCheck, Outcome
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import require
from avrecords.org.scope import can_acknowledge_fixity, can_view_fixity

ALARMS_SHOWN = 200
CHECKS_SHOWN = 50


@login_required
def fixity_page(request):
    require(can_view_fixity(request.user))
    alarms = services.open_alarms(request.user)
    coverage = services.coverage(request.user)
    outcomes = [
        (value, label, coverage.by_outcome[value], coverage.checks_within[value])
        for value, label in Outcome.choices
    ]
    context = {
        "nav": "fixity",
        "alarms": alarms[:ALARMS_SHOWN],
        "alarm_total": alarms.count(),
        "coverage": coverage,
        "outcomes": outcomes,
        "checks": FixityCheck.objects.visible_to(request.user)[:CHECKS_SHOWN],
        "can_acknowledge": can_acknowledge_fixity(request.user),
    }
    return render(request, "fixity/index.html", context)


@login_required
@require_POST
def acknowledge_alarm(request, check_id: int):
    check = services.acknowledge(
        request.user,
        check_id,
        note=request.POST.get("note", ""),
        ip=client_ip(request),
    )
    messages.success(
        request,
        f"已确认告警 #{check.pk}（{check.recording.original_name}），确认记录已写入审计日志",
    )
    return redirect("fixity:index")
