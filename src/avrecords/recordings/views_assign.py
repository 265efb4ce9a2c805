"""The 指派 box on a recording's page and its form's POST (M1, issue 15, issue 19 §5): an
administrator binds a recording that waits for assignment, to a person or to the holder of a
device at its start time, and may correct that start time; the rules live in
`recordings.assignment`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone

from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import require
from avrecords.recordings import assignment
from avrecords.recordings.forms import AssignmentForm
from avrecords.recordings.models import Recording

# what a datetime-local input with step="1" shows and sends
INPUT_FORMAT = "%Y-%m-%dT%H:%M:%S"


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
    if not shown:
        return {"assign_form": None}
    return {
        "assign_form": _form(user),
        "start_value": timezone.localtime(recording.started_at).strftime(INPUT_FORMAT),
    }


def _changed_start(form: AssignmentForm, recording: Recording):
    """The start time posted, if it is not the one the page showed (to the second)."""
    posted = form.cleaned_data["started_at"]
    if posted is None or posted == recording.started_at.replace(microsecond=0):
        return None
    return posted


@login_required
def recording_assign(request, recording_id: int):
    """Scope first (404, even for a GET), then the method (405) and the permission (403)."""
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    require(assignment.can_assign(request.user))
    form = _form(request.user, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"未指派：{error}")
        return redirect("recordings:detail", recording_id=recording_id)
    officer, device = form.cleaned_data["officer"], form.cleaned_data["device"]
    try:
        done = assignment.assign(
            request.user,
            recording_id,
            officer_id=officer.pk if officer else None,
            device_id=device.pk if device else None,
            started_at=_changed_start(form, recording),
            ip=client_ip(request),
        )
    except assignment.AssignmentRefused as exc:
        messages.error(request, f"未指派：{exc}")
    else:
        if done.officer_id is None:
            messages.success(request, "已更正开始时间（人工指定），该记录仍待指派。")
        else:
            messages.success(request, f"已指派给 {done.officer.display_name}。")
    return redirect("recordings:detail", recording_id=recording_id)
