"""A password an administrator set must be replaced before anything else (issue 18 §1).

When a person is added or his password is reset (`agency.people`), `must_change_password` is
set: the administrator knows that password. Until the person chooses his own, every page sends
him to the password change page with a message, and the API refuses him (403) — whether he
comes with his browser's session or with HTTP Basic (`avrecords.api.BasicAuth`). The change
page itself, signing out and static files stay open. A successful change clears the flag
(`web.views_accounts.password_change`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.urls import reverse

from avrecords.web import step_redirect
from avrecords.web.middleware import guarded_against_outage

API_PREFIX = "/api/"
API_MESSAGE = "请先在网页上修改初始密码"
PAGE_MESSAGE = "管理员已重置您的密码，请先设置新密码"


def must_change(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.must_change_password)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    @guarded_against_outage
    def __call__(self, request):
        if not must_change(getattr(request, "user", None)) or self._open(request.path):
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return JsonResponse(
                {"detail": API_MESSAGE}, status=403, json_dumps_params={"ensure_ascii": False}
            )
        url = reverse("accounts:password_change")
        if not step_redirect.from_the_step_page(request, url):
            messages.warning(request, PAGE_MESSAGE)  # said once, on the page he is sent to
        return step_redirect.send_to_step(request, url)

    @staticmethod
    def _open(path: str) -> bool:
        allowed = (reverse("accounts:password_change"), reverse("logout"))
        static = settings.STATIC_URL or "/static/"
        return path in allowed or path.startswith(
            static if static.startswith("/") else "/" + static
        )
