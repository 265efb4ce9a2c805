"""待办 (every app's pending tasks for me, from the worklist registry) and 站内消息 (issue 17 §3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from avrecords import worklist
from avrecords.lib.http import back_to
from avrecords.notices import services as notices

MESSAGES_PER_PAGE = 30


@login_required
def todo(request):
    groups = worklist.groups_for(request.user)
    return render(
        request,
        "web/inbox.html",
        {
            "nav": "todo",
            "groups": groups,
            "total": sum(len(g.tasks) for g in groups),
            "now": timezone.now(),
            "here": request.get_full_path(),
        },
    )


@login_required
def messages_list(request):
    page = Paginator(notices.for_user(request.user), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/messages_list.html",
        {"nav": "messages", "page": page, "unread": notices.unread_count(request.user)},
    )


@login_required
def message_open(request, pk: int):
    """Open one message: it is marked read, and the reader goes where it points."""
    notice = notices.open_notice(request.user, pk)
    return redirect(back_to(request, "inbox:messages", target=notice.url))


@login_required
@require_POST
def messages_read_all(request):
    done = notices.mark_all_read(request.user)
    messages.success(request, f"已将 {done} 条消息标为已读" if done else "没有未读消息")
    return redirect("inbox:messages")
