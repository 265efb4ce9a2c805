"""Answer 503 while the database is unreachable (issue 3, "Database down").

A dropped or refused database connection is an outage, not a bug: pages get a Chinese
"try again later" page, `/api/v1/` gets `{"detail": …}`, both with `Retry-After`, and the
log gets one English line instead of a traceback per request.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger("avrecords.web")

DATABASE_DOWN_MESSAGE = "数据库暂时不可用，请稍后重试"
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"


class DatabaseUnavailableMiddleware:
    """Turns OperationalError/InterfaceError raised by a view into a 503 response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        first_line = (str(exception).strip().splitlines() or [""])[0]
        log.error(
            "database unavailable, answered 503 to %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            first_line,
        )
        return database_unavailable_response(request)


def database_unavailable_response(request) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": DATABASE_DOWN_MESSAGE}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        # Rendered without the request: the context processors would query the database.
        html = render_to_string("503.html", {"message": DATABASE_DOWN_MESSAGE})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
