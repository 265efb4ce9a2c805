"""Sessions end after AVRECORDS_SESSION_IDLE_MINUTES without a request (issue 15, row 13).

SESSION_COOKIE_AGE is the idle time, and Django refuses a session past its expiry date. A
session is saved, which moves its expiry date (and the cookie's) on by the idle time, only
when something in it changed; this middleware changes it at most once a minute for a
signed-in user, so that activity keeps the session alive without a database write on every
request (a media player's range requests, say). The session therefore ends between the idle
time less a minute and the idle time after the last request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import InterfaceError, OperationalError

TOUCHED_KEY = "_avrecords_touched"


def touch_interval_seconds() -> int:
    return max(1, min(60, settings.SESSION_COOKIE_AGE // 10))


class IdleTimeoutMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return response
        try:
            signed_in = request.user.is_authenticated
        except (OperationalError, InterfaceError):
            return response  # the database is down: the answer is already a 503
        now = int(time.time())
        if signed_in and now - session.get(TOUCHED_KEY, 0) >= touch_interval_seconds():
            session[TOUCHED_KEY] = now  # saved by SessionMiddleware, with a new expiry
        return response
