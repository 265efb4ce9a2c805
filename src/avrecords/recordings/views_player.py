"""The player's own steps on a recording's page: bookmarks and snapshots (issue 17 §5).

Each step posts here; from the player (HTMX) the answer is the part of the page that changed,
otherwise the recording's page again (after a redirect, or at once with the reasons, 400).
Every rule is in `marks` and `snapshots`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from avrecords.lib.http import client_ip, post_only
from avrecords.panels import PLAYBACK
from avrecords.recordings import marks, player, snapshots
from avrecords.recordings.models import Recording
from avrecords.recordings.views import render_detail


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _part(request, recording, template: str, *, status=200, errors=None, values=None):
    may_play = PLAYBACK.may_play(request.user, recording)
    context = player.context(
        request.user, recording, may_play=may_play, errors=errors, values=values
    )
    return render(request, template, context, status=status)


def _again(request, recording, template: str, errors: dict, values=None):
    """A refused step: the part again with the reasons (HTMX), or the whole page (400)."""
    if _htmx(request):
        return _part(request, recording, template, status=400, errors=errors, values=values)
    return render_detail(
        request, recording, status=400, bookmark_errors=errors, bookmark_values=values
    )


def _done(request, recording, template: str, message: str):
    if _htmx(request):
        return _part(request, recording, template)
    messages.success(request, message)
    return redirect("recordings:detail", recording_id=recording.pk)


@login_required
def bookmark_add(request, recording_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    try:
        bookmark = marks.add_bookmark(
            request.user,
            recording_id,
            at=request.POST.get("at", ""),
            text=request.POST.get("text", ""),
            ip=client_ip(request),
        )
    except marks.BookmarkInvalid as exc:
        return _again(request, recording, "recordings/_marks.html", exc.fields, request.POST)
    said = f"已在 {marks.clock(bookmark.at_seconds)} 添加标记"
    return _done(request, recording, "recordings/_marks.html", said)


@login_required
def bookmark_delete(request, recording_id: int, bookmark_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    marks.delete_bookmark(request.user, recording_id, bookmark_id, ip=client_ip(request))
    return _done(request, recording, "recordings/_marks.html", "已删除标记")


@login_required
def snapshot_take(request, recording_id: int):
    recording = Recording.objects.get_visible(request.user, recording_id)
    if refused := post_only(request):
        return refused
    try:
        shot = snapshots.take(
            request.user, recording_id, at=request.POST.get("at", ""), ip=client_ip(request)
        )
    except marks.BookmarkInvalid as exc:
        return _again(request, recording, "recordings/_snapshots.html", exc.fields)
    said = f"已截取 {marks.clock(shot.at_seconds)} 的画面"
    return _done(request, recording, "recordings/_snapshots.html", said)


@login_required
def snapshot_download(request, recording_id: int, snapshot_id: int):
    path, filename = snapshots.for_download(
        request.user, recording_id, snapshot_id, ip=client_ip(request)
    )
    response = FileResponse(open(path, "rb"), content_type="image/jpeg")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
