"""Input too large for the database is refused in Chinese, not answered 500 (issue 15, row 12).

Two guards, for pages and the API alike:

- before the view: no query-string value longer than QUERY_VALUE_MAX_CHARS or containing a
  NUL character. Every filter and search box arrives that way; a 100,000-character `q` made
  SQLite refuse its LIKE pattern (then answered as a database outage);
- after it: a value the database cannot hold (a number past 64 bits in an id, a page or a
  body: OverflowError on SQLite, DataError on PostgreSQL; a NUL character in a string on
  PostgreSQL) is the request's fault, answered 422 on the API and 400 on a page.
"""

from __future__ import annotations

import logging

from django.db import DataError
from django.http import JsonResponse
from django.shortcuts import render

from avrecords.web.middleware import API_PREFIX

log = logging.getLogger("avrecords.web")

QUERY_VALUE_MAX_CHARS = 200
# Not a filter: where to go after signing in, a path of this site that can be long.
UNLIMITED_QUERY_NAMES = frozenset({"next"})
OUT_OF_RANGE_MESSAGE = "数值或内容超出允许范围"


def _query_problem(request) -> tuple[str, str] | None:
    """(parameter, what is wrong with it) for the first bad query-string value, or None."""
    for name, values in request.GET.lists():
        for value in values:
            if "\x00" in value or "\x00" in name:
                return name, "含有不允许的控制字符"
            if len(value) > QUERY_VALUE_MAX_CHARS and name not in UNLIMITED_QUERY_NAMES:
                return name, f"最多 {QUERY_VALUE_MAX_CHARS} 个字"
    return None


def _is_unstorable(exception: BaseException) -> bool:
    if isinstance(exception, OverflowError | DataError):
        return True
    # psycopg refuses a NUL in a string before sending it (PostgreSQL text cannot hold one).
    return isinstance(exception, ValueError) and "NUL (0x00)" in str(exception)


def refusal(request, name: str | None, problem: str):
    if request.path.startswith(API_PREFIX):
        detail = f"参数无效：{name}（{problem}）" if name else f"参数无效：{problem}"
        error = {"loc": ["query", name] if name else [], "msg": problem, "type": "value_error"}
        return JsonResponse(
            {"detail": detail, "errors": [error]},
            status=422,
            json_dumps_params={"ensure_ascii": False},
        )
    message = f"查询条件无效（{problem}），请修改后重试" if name else f"请求无效：{problem}"
    return render(request, "400.html", {"message": message}, status=400)


class InputLimitsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if problem := _query_problem(request):
            return refusal(request, *problem)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_unstorable(exception):
            return None
        first_line = (str(exception).strip().splitlines() or [""])[0]
        log.warning(
            "input the database cannot hold, refused %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            first_line,
        )
        return refusal(request, None, OUT_OF_RANGE_MESSAGE)
