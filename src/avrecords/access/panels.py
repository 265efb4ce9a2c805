"""What access shows on other apps' pages (`avrecords.panels`), registered in `apps.py`.

On a recording's page: how to ask for viewing when the person may not play it, the download
under a live 复制 grant (or how to ask for a copy or an evidence export), the person's own
requests, and where to ask for a confidentiality mark. On a case's page: where to ask for a
view, copy, export, preservation or mark of the case's recordings (M5–M9).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from avrecords import panels
from avrecords.access import grants
from avrecords.access.models import RequestKind

MY_REQUESTS_SHOWN = 10


def recording_no_player(request, recording, *, errors, may_play, **_) -> str:
    return render_to_string("access/panels/recording_ask.html", {"r": recording}, request=request)


def recording_player(request, recording, *, errors, may_play, **_) -> str:
    context = {
        "r": recording,
        "can_download": grants.may_download(request.user, recording),
        "requests": recording.access_requests.filter(requester=request.user)[:MY_REQUESTS_SHOWN],
    }
    return render_to_string("access/panels/recording_player.html", context, request=request)


def recording_secrecy(request, recording, *, errors, **_) -> str:
    return render_to_string(
        "access/panels/recording_secrecy.html", {"r": recording}, request=request
    )


def case_actions(request, case, *, errors, **_) -> str:
    base = reverse("access:new")
    links = [(f"{base}?kind={kind}&case={case.pk}", label) for kind, label in RequestKind.choices]
    return render_to_string("access/panels/case_actions.html", {"links": links}, request=request)


def register() -> None:
    panels.PLAYBACK.provide(
        may_play=grants.may_play,
        may_download=grants.may_download,
        for_playback=grants.for_playback,
        for_download=grants.for_download,
        register_playback=grants.register_playback,
        register_download=grants.register_download,
    )
    panels.RECORDING.register("access.ask", slot="no_player", render=recording_no_player)
    panels.RECORDING.register("access", slot="player", render=recording_player)
    panels.RECORDING.register("access.mark", slot="secrecy", render=recording_secrecy)
    panels.CASE.register("access", slot="actions", render=case_actions)
