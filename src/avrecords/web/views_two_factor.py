"""Two-factor sign-in pages (issue 18 §5): the code after the password, enrolment, the recovery
codes shown once, and one's own page (state, new recovery codes, disabling). Every rule lives
in agency/two_factor.py; web/two_factor_middleware.py sends a person here until done."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from avrecords.agency import two_factor
from avrecords.lib.http import back_to, client_ip
from avrecords.lib.refusals import Conflict, Forbidden, Invalid

CODES_KEY = "avrecords_two_factor_codes"  # the new recovery codes, until "已保存" is pressed


def _next(request) -> str:
    return request.POST.get("next") or request.GET.get("next") or ""


def _signing_in(request) -> bool:
    return getattr(request, "two_factor_pending", None) is not None


def _render(request, template: str, context: dict, status: int = 200):
    # A person still signing in sees no menu, counts or search: only the step he is on.
    if _signing_in(request):
        context = {**context, "user": None, "fixity": {}, "signing_in": True}
    return render(request, template, {"next": _next(request), **context}, status=status)


def _signed_in(request, device) -> None:
    """This session gave its second factor: a new session key for the stronger session."""
    request.session.cycle_key()
    django_otp.login(request, device)


@login_required
def verify(request):
    step = getattr(request, "two_factor_pending", None)
    if step == "enrol":
        return redirect("accounts:two_factor_enrol")
    if step is None:
        return redirect(back_to(request, "workbench", target=_next(request)))
    error, status = "", 200
    if request.method == "POST":
        try:
            device = two_factor.verify(
                request.user, request.POST.get("token", ""), ip=client_ip(request)
            )
        except two_factor.CodeRefused as exc:
            error, status = str(exc), 429 if exc.locked else 400
        else:
            _signed_in(request, device)
            left = two_factor.recovery_codes_left(request.user)
            if isinstance(device, two_factor.StaticDevice):
                messages.warning(
                    request, f"已使用一个恢复码，还剩 {left} 个；如手机遗失，请及时重新启用"
                )
            return redirect(back_to(request, "workbench"))
    return _render(request, "web/two_factor_verify.html", {"error": error}, status)


@login_required
def enrol(request):
    if getattr(request, "two_factor_pending", None) == "verify":
        return redirect("accounts:two_factor_verify")  # the authenticator he has comes first
    error, status = "", 200
    if request.method == "POST":
        try:
            codes = two_factor.confirm_enrolment(
                request.user, request.POST.get("token", ""), ip=client_ip(request)
            )
        except (Invalid, Conflict) as exc:
            error, status = exc.fields.get("token", exc.message), 400
        else:
            _signed_in(request, two_factor.authenticator(request.user))
            request.session[CODES_KEY] = codes
            messages.success(request, "双因素登录已启用")
            target = back_to(request, "accounts:two_factor")
            codes_page = reverse("accounts:two_factor_codes")
            return redirect(f"{codes_page}?{urlencode({'next': target})}")
    device = two_factor.start_enrolment(request.user)
    shown = two_factor.provisioning(device)
    context = {
        "error": error,
        "provisioning": shown,
        "qr_svg": mark_safe(shown.svg),  # segno's own SVG markup, made from our key only
        "required": two_factor.is_required(request.user),
    }
    return _render(request, "web/two_factor_enrol.html", context, status)


@login_required
def overview(request):
    user = request.user
    enrolled = two_factor.is_enrolled(user)
    return _render(
        request,
        "web/two_factor.html",
        {
            "state": two_factor.state_of(user),
            "enrolled": enrolled,
            "required": two_factor.is_required(user),
            "codes_left": two_factor.recovery_codes_left(user) if enrolled else 0,
        },
    )


@login_required
def codes(request):
    """GET: the new recovery codes, while they are kept for this session; POST: new ones in
    place of the old, against a current code."""
    error, status = "", 200
    if request.method == "POST":
        try:
            request.session[CODES_KEY] = two_factor.regenerate_recovery_codes(
                request.user, request.POST.get("token", ""), ip=client_ip(request)
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("accounts:two_factor")
        except Invalid as exc:
            error, status = exc.fields.get("token", exc.message), 400
        else:
            messages.success(request, "已重新生成恢复码，原有恢复码已作废")
            return redirect("accounts:two_factor_codes")
    context = {
        "codes": request.session.get(CODES_KEY, []),
        "error": error,
        "enrolled": two_factor.is_enrolled(request.user),
        "account": request.user.get_username(),
        "issuer": two_factor.issuer(request.user),
    }
    return _render(request, "web/two_factor_codes.html", context, status)


@login_required
def codes_text(request):
    codes = request.session.get(CODES_KEY)
    if not codes:
        messages.info(request, "恢复码只在生成后显示一次；如已遗失，请重新生成")
        return redirect("accounts:two_factor")
    lines = [
        f"{two_factor.issuer(request.user)} 双因素登录恢复码",
        f"用户名：{request.user.get_username()}",
        "每个恢复码只能使用一次，请妥善保管。",
        "",
        *codes,
        "",
    ]
    response = HttpResponse("\r\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="avrecords-recovery-codes.txt"'
    return response


@login_required
@require_POST
def codes_done(request):
    request.session.pop(CODES_KEY, None)
    return redirect(back_to(request, "accounts:two_factor"))


@login_required
@require_POST
def disable(request):
    try:
        two_factor.disable(request.user, ip=client_ip(request))
    except (Forbidden, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已停用双因素登录")
    return redirect("accounts:two_factor")
