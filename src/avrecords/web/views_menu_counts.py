"""The numbers beside the menu's entries, after the page (issue 22, issue 17 §1).

A page renders its menu and top bar with empty places for the counts (`web/menu.py` names
them); one small HTMX request on load asks this view, which answers each place as an
out-of-band swap. The page itself pays nothing for counting (the 待办 count alone asks every
worklist source), and a page that is read without a browser shows no stale numbers.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from avrecords.web import context, menu


@login_required
@require_GET
@never_cache
def menu_counts(request):
    flags = context.roles(request)
    groups = menu.build(flags, request.path, None)
    return render(request, "web/_menu_counts.html", {"numbers": menu.numbers(flags, groups)})
