"""Small request helpers every face shares (issue 16 §5: one of each, not a copy per module).

`client_ip` is the address the audit log records. Behind the reverse proxy named in
AVRECORDS_TRUSTED_PROXY, `avrecords serve` (waitress) has already put the client's address
from X-Forwarded-For into REMOTE_ADDR and dropped the header from anyone else, so nothing here
reads a forwarded header: a client cannot choose the address it is logged under.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme


def client_ip(request) -> str:
    """The client's address ("" for a call made without a request)."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def int_or_none(value) -> int | None:
    """A query or form value read as a whole number; None when absent, empty or not one."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def back_to(request, default: str, *, target: str | None = None) -> str:
    """Where a step returns: `target` (or the form's `next`) when it is a path of this site —
    a step posted from 待办 or from the recording page returns there — else the URL named
    `default`. Never another host (an open redirect)."""
    target = request.POST.get("next", "") if target is None else target
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default) if not default.startswith("/") else default


def post_only(request) -> HttpResponseNotAllowed | None:
    """405 for a page that only changes something, else None."""
    return HttpResponseNotAllowed(["POST"]) if request.method != "POST" else None


def run_step(request, obj, act, *, refusals, again, then: str) -> HttpResponse:
    """A page's step that a service may refuse, run the one way every page runs it: `act()`
    returns what was done, said as a message on `then` (a URL); a refusal of the `refusals`
    types re-reads `obj` and answers `again(reasons)` (the object's page again with every
    reason beside it, status 400), nothing changed."""
    try:
        done = act()
    except refusals as exc:
        obj.refresh_from_db()
        return again(reasons_of(exc))
    messages.success(request, done)
    return redirect(then)


def reasons_of(refusal: Exception) -> list[str]:
    """A refusal's reasons as a page lists them: the domain's `errors`, else its message."""
    return list(getattr(refusal, "errors", None) or [str(refusal)])


def attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file to save (an export, a printout): `filename` may be Chinese."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
