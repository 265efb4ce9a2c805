"""No page before the second factor (issue 18 §5; the rules: agency/two_factor.py).

After django-otp's OTPMiddleware has said whether this session gave a code, a signed-in
person who still owes one — an enrolled person not yet verified, or one whose role must use
two-factor sign-in and who has no authenticator — is sent to the code page or the enrolment
page from every page, and comes back to the page he asked for. Only those pages, signing
out and static files stay open, and the password change page for a person whose password an
administrator set (web/password_change_required.py sends him there first). An API call made with this session is refused 403 (JSON, in
Chinese); an API call carrying its own credentials (HTTP Basic: a station script) is not this
session's and is left to the API's authentication.

`request.two_factor_pending` names the step owed ("verify", "enrol" or None), for a later
middleware (the forced password change) to let these pages through.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse

from avrecords.agency import two_factor
from avrecords.web import step_redirect
from avrecords.web.middleware import guarded_against_outage

API_PREFIX = "/api/"
API_MESSAGE = "请先在网页上完成双因素登录验证（输入身份验证器上的验证码）后再使用此会话访问接口"
STEP_PAGES = {"verify": "accounts:two_factor_verify", "enrol": "accounts:two_factor_enrol"}


def open_paths() -> tuple[str, ...]:
    """Paths a person owing a code may still reach."""
    return (
        reverse("accounts:two_factor_verify"),
        reverse("accounts:two_factor_enrol"),
        reverse("logout"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )


class TwoFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    @guarded_against_outage
    def __call__(self, request):
        step = two_factor.pending_step(request.user)
        request.two_factor_pending = step
        if step is None or request.path.startswith(open_paths()):
            return self.get_response(request)
        if request.user.must_change_password and request.path == reverse(
            "accounts:password_change"
        ):
            # a password an administrator set is replaced first (the forced change's page
            # sends everything else there): then the second factor
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            if request.headers.get("Authorization"):
                return self.get_response(request)
            return JsonResponse(
                {"detail": API_MESSAGE}, status=403, json_dumps_params={"ensure_ascii": False}
            )
        page = reverse(STEP_PAGES[step])
        if request.headers.get("HX-Request"):  # back to the page, not to its fragment
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            query = urlencode(
                {"next": current.path + (f"?{current.query}" if current.query else "")}
            )
        else:
            query = urlencode({"next": request.get_full_path()})
        return step_redirect.send_to_step(request, f"{page}?{query}")
