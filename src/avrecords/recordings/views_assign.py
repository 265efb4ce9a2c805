"""The 指派 box on a recording's page and its form's POST (M1, issue 15): an administrator
binds a recording that waits for assignment; the rules live in `recordings.assignment`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import require
from avrecords.recordings import assignment
from avrecords.recordings.forms import AssignmentForm
from avrecords.recordings.models import Recording


def _form(user, data=None) -> AssignmentForm:
    return AssignmentForm(
        data,
        people=assignment.assignable_people(user),
        devices=assignment.assignable_devices(user),
    )


def box(user, recording) -> dict:
    """The template context of the box (`recordings/_assign_box.html`)."""
    shown = (
        recording.needs_assignment and recording.purged_at is None and assignment.can_assign(user)
    )
    return {"assign_form": _form(user) if shown else None}


@login_required
def recording_assign(request, recording_id: int):
    """Scope first (404, even for a GET), then the method (405) and the permission (403)."""
    Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    require(assignment.can_assign(request.user))
    form = _form(request.user, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"未指派：{error}")
        return redirect("recordings:detail", recording_id=recording_id)
    device = form.cleaned_data["device"]
    try:
        recording = assignment.assign(
            request.user,
            recording_id,
            officer_id=form.cleaned_data["officer"].pk,
            device_id=device.pk if device else None,
            ip=client_ip(request),
        )
    except assignment.AssignmentRefused as exc:
        messages.error(request, f"未指派：{exc}")
    else:
        messages.success(request, f"已指派给 {recording.officer.display_name}。")
    return redirect("recordings:detail", recording_id=recording_id)
