"""What the web answers when something goes wrong below the views.

- 503 while the database is unreachable (issue 3, "Database down"). A dropped or refused
  database connection is an outage, not a bug: pages get a Chinese "try again later" page,
  `/api/v1/` gets `{"detail": …}`, both with `Retry-After`, and the log gets one English line
  instead of a traceback per request. Only an outage is called one: a statement the database
  refused (SQLite's "LIKE or GLOB pattern too complex" for a 100,000-character search) is not
  (issue 15, row 12).
- JSON errors on every `/api/` path (issue 15, row 16): what no API operation answered (an
  unknown path, a non-integer id, a method the path does not take, a server error) comes from
  Django or ninja as HTML or plain text, and is turned into `{"detail": …}` in Chinese.
"""

from __future__ import annotations

import functools
import logging
import sqlite3

from django.db import Error as DatabaseLibraryError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger("avrecords.web")

DATABASE_DOWN_MESSAGE = "数据库暂时不可用，请稍后重试"
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"

API_ERROR_MESSAGES = {
    400: "请求无效",
    401: "未登录或用户名、密码错误",
    403: "无权访问",
    404: "记录不存在或不在您的权限范围内",
    405: "该地址不支持此请求方法",
    413: "请求内容过大",
    415: "请求内容类型不受支持",
    500: "服务器内部错误，请稍后重试；如仍出现，请联系系统管理员",
    503: DATABASE_DOWN_MESSAGE,
}
API_ERROR_FALLBACK = "请求未能完成"

# PostgreSQL SQLSTATE classes of a server that cannot serve now: connection exception (08),
# insufficient resources (53), operator intervention (57: shutdown, cancelled), system error
# (58). Others (e.g. 54, "statement too complex") are about the statement, not the server.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")
# SQLite's words for a database file it cannot use now.
UNAVAILABLE_SQLITE_WORDS = (
    "unable to open database",
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "readonly database",
    "database or disk is full",
)


def is_database_unavailable(exception: BaseException) -> bool:
    """True if the database could not be reached or used at all, False for anything else,
    including a statement it refused."""
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    if isinstance(cause, sqlite3.OperationalError):
        words = str(cause).lower()
        return any(w in words for w in UNAVAILABLE_SQLITE_WORDS)
    # psycopg's failures to connect carry no SQLSTATE (the server never answered).
    return True


class DatabaseUnavailableMiddleware:
    """Turns a database outage raised by a view into a 503 response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return outage_response(request, exception)


def guarded_against_outage(call):
    """For a middleware whose own step reads the database (the person, his session, his
    devices) before any view runs: an outage there is the same 503 as in a view, not a 500.
    `process_exception` above sees only what views raise."""

    @functools.wraps(call)
    def guarded(self, request):
        try:
            return call(self, request)
        except DatabaseLibraryError as exception:
            if (response := outage_response(request, exception)) is None:
                raise
            return response

    return guarded


def outage_response(request, exception) -> HttpResponse | None:
    """The 503 answer to a database outage (logged once, in English); None for anything else."""
    if not is_database_unavailable(exception):
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


class ApiJsonErrorsMiddleware:
    """First in MIDDLEWARE: every error answer under /api/ is JSON `{"detail": …}`, keeping
    its status and headers (Allow, Retry-After, …)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.streaming
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return as_json_error(response)
        return response


def as_json_error(response: HttpResponse) -> JsonResponse:
    message = API_ERROR_MESSAGES.get(response.status_code, API_ERROR_FALLBACK)
    converted = JsonResponse(
        {"detail": message},
        status=response.status_code,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in response.items():
        if name.lower() not in ("content-type", "content-length"):
            converted[name] = value
    converted.cookies = response.cookies
    return converted
