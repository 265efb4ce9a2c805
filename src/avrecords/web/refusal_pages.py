"""Pages' half of the one error mapping (issue 16 §5): a view lets a service's refusal
(`avrecords.lib.refusals`) pass, and this middleware answers it — 403 and 404 with the
site's pages, 409 and 422 with the reason and a way back — so no view writes its own
preamble. A view that re-shows its form with the reason beside the fields catches the
refusal itself; the API's half is the exception handler in `avrecords.api`.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string

from avrecords.lib.refusals import Forbidden, NotFound, Refusal
from avrecords.web.middleware import API_PREFIX

log = logging.getLogger("avrecords.web")

TEMPLATES = {Forbidden: "403.html", NotFound: "404.html"}


class RefusalPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refusal) or request.path.startswith(API_PREFIX):
            return None
        log.info(
            "refused %s %s: %s %s",
            request.method,
            request.path,
            type(exception).__name__,
            exception.status,
        )
        return refusal_response(request, exception)


def refusal_response(request, refusal: Refusal) -> HttpResponse:
    template = next((t for kind, t in TEMPLATES.items() if isinstance(refusal, kind)), None)
    context = {"exception": refusal.message, "refusal": refusal, "back": _safe_back(request)}
    if template is None:
        template = "web/refused.html"
    elif not refusal.explained:
        context["exception"] = ""  # 403.html then says in general words what it means
    return HttpResponse(render_to_string(template, context, request), status=refusal.status)


def _safe_back(request) -> str:
    """Where 返回 leads: the page the user came from on this site, else the home page."""
    referer = request.headers.get("Referer", "")
    host = request.get_host()
    for scheme in ("http://", "https://"):
        if referer.startswith(f"{scheme}{host}/"):
            return referer[len(scheme) + len(host) :]
    return "/"
