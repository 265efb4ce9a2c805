"""What redaction shows on the recording's page (`avrecords.panels`): 申请脱敏副本 for those
who may ask, and the 脱敏副本 lineage — each copy's state, settings in words, model versions,
and the original's and the copy's SHA-256 (M2: derived copies beside the untouched original;
000§19, 001§25, 003§14, 004§21). Registered in `apps.py`."""

from __future__ import annotations

from django.template.loader import render_to_string

from avrecords import panels
from avrecords.redaction import services, validation, who, words


def recording_side(request, recording, *, errors, **_) -> str:
    may = who.may_request(request.user, recording)
    copies = list(services.lineage_of(recording))
    if not may and not copies:
        return ""
    context = {
        "rec": recording,
        "may_request": may,
        "has_video": validation.has_video(recording),
        "no_video": validation.NO_VIDEO,
        "copies": [{"r": c, "settings": words.settings_of(c)} for c in copies],
    }
    return render_to_string("redaction/panels/recording.html", context, request=request)


def register() -> None:
    panels.RECORDING.register("redaction", slot="side", order=30, render=recording_side)
