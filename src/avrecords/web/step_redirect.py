"""Sending a person to a step he owes before any other page: his own password in place of
one an administrator set (`password_change_required`), his second factor
(`two_factor_middleware`).

A page load is redirected. An HTMX request (a fragment a page asks for) is sent there as a
whole page (`HX-Redirect`), since the step's page inside a fragment would make no sense; but
one made from the step's own page gets an empty answer (204): sending that page to itself
would reload it in a loop, each load asking again, and a person typing his new password
would see the form emptied under his hands (found in the browser: the menu's counts).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpResponse, HttpResponseRedirect


def from_the_step_page(request, url: str) -> bool:
    """An HTMX request made by the page at `url` (its path; the query is not compared)."""
    if not request.headers.get("HX-Request"):
        return False
    current = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return current == urlsplit(url).path


def send_to_step(request, url: str) -> HttpResponse:
    if from_the_step_page(request, url):
        return HttpResponse(status=204)
    response = HttpResponseRedirect(url)
    if request.headers.get("HX-Request"):
        response["HX-Redirect"] = url  # the whole page, not a fragment
    return response
