"""What cases shows on a recording's page (`avrecords.panels`), registered in `apps.py`: the
case the recording is filed with, linked to the case's page (M10)."""

from __future__ import annotations

from django.template.loader import render_to_string

from avrecords import panels


def recording_case(request, recording, *, errors, **_) -> str:
    if recording.case_id is None:
        return ""
    return render_to_string(
        "cases/panels/recording_case.html", {"case": recording.case}, request=request
    )


def register() -> None:
    panels.RECORDING.register("cases", slot="case", render=recording_case)
