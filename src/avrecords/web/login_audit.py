"""Sign-ins, sign-outs, failures and lockouts in the audit log (issue 15, row 5; X1).

Receivers of Django's auth signals and of axes' `user_locked_out`, connected in
WebConfig.ready(). The password is never recorded (Django masks it in the failure signal's
credentials, and only the user name is read from them). A failure refused because the
account or address is already locked is not recorded again: the lockout entry says it, and
an attacker hammering a lock cannot fill the log.

A successful HTTP Basic request is not a sign-in (no session begins; each request carries
the password); what it does is audited by the service it calls. Its failures are recorded.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from avrecords.audit.services import record
from avrecords.lib.http import client_ip

USERNAME_MAX_CHARS = 150


def _ip(request) -> str:
    # axes' address where it read one (the same REMOTE_ADDR: AXES_IPWARE_META_PRECEDENCE_ORDER)
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def channel(request) -> str:
    if request is None:
        return "程序内调用"
    if request.path.startswith("/api/"):
        return "接口（HTTP Basic）"
    if request.path.startswith("/admin/"):
        return "管理后台"
    return "网页"


def _refused_while_locked(request) -> bool:
    # LoginBackend (axes) refused before any password check: the request is flagged locked
    # and axes never counted it (its failure count is only set when it counts one).
    return bool(
        request is not None
        and getattr(request, "axes_locked_out", False)
        and getattr(request, "axes_failures_since_start", None) is None
    )


def _account(username: str):
    return get_user_model().objects.filter(username=username).first() if username else None


def logged_in(sender, request, user, **kwargs):
    record(
        "auth.login",
        actor=user,
        obj=user,
        summary=f"登录（{channel(request)}）",
        detail={"channel": channel(request)},
        ip=_ip(request),
    )


def logged_out(sender, request, user, **kwargs):
    if user is None:  # signing out without being signed in
        return
    record(
        "auth.logout",
        actor=user,
        obj=user,
        summary=f"退出登录（{channel(request)}）",
        detail={"channel": channel(request)},
        ip=_ip(request),
    )


def login_failed(sender, credentials, request=None, **kwargs):
    if _refused_while_locked(request):
        return
    username = str(credentials.get("username") or "")[:USERNAME_MAX_CHARS]
    account = _account(username)
    record(
        "auth.login_failed",
        obj=account,
        object_type="" if account else "org.user",
        summary=f"登录失败（{channel(request)}）：用户名 {username or '（空）'}",
        detail={
            "username": username,
            "known_user": account is not None,
            "channel": channel(request),
        },
        ip=_ip(request),
    )


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if _refused_while_locked(request):
        return
    username = str(username or "")[:USERNAME_MAX_CHARS]
    # here, not at import: the throttle loads Django's auth forms and axes' handlers, which
    # no command's start-up needs (web's ready() connects this module; issue 22 §1)
    from avrecords.web.login_throttle import cooloff

    account = _account(username)
    minutes = int(cooloff().total_seconds() // 60)
    record(
        "auth.lockout",
        obj=account,
        object_type="" if account else "org.user",
        summary=f"登录失败次数过多，已锁定 {minutes} 分钟：用户名 {username or '（空）'}，地址 {ip_address or '—'}",
        detail={
            "username": username,
            "address": ip_address or "",
            "failures": getattr(request, "axes_failures_since_start", None),
            "minutes": minutes,
            "channel": channel(request),
        },
        ip=ip_address or _ip(request),
    )


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(logged_in, dispatch_uid="avrecords.auth.login")
    user_logged_out.connect(logged_out, dispatch_uid="avrecords.auth.logout")
    user_login_failed.connect(login_failed, dispatch_uid="avrecords.auth.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="avrecords.auth.lockout")
