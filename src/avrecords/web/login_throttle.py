"""Sign-in throttling with lockout, per account and per client address (issue 15, row 5; X1).

Every way of signing in (the login page, the admin site's, HTTP Basic on the API) goes through
`django.contrib.auth.authenticate(request, …)`, and django-axes counts the failures there, in
its AccessAttempt table (so every web process and host shares the count). An account is
locked after AVRECORDS_LOGIN_FAILURE_LIMIT failures, a client address after
AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT (higher: an office behind one NAT address shares it),
each within AVRECORDS_LOGIN_LOCKOUT_MINUTES of the last failure; the lock lifts by itself
that long after the last counted failure, or when a system administrator unlocks it.

Refusals cost no password hash:
- a locked account or address is refused by `LoginBackend` before any password is checked,
  and the refusal is not counted again (the lock does not grow while it is being hammered);
- an unknown or deactivated user name is refused without hashing. Django's ModelBackend
  hashes the password once anyway so that such names answer as slowly as real ones; that
  costs the same ~0.35 s of CPU per request, which is what let ~6 requests/s saturate the
  server. We judge the CPU more important: user names here are 执法证号-like logins known
  inside the agency, not secrets, and the per-address limit caps how many names one address
  can probe (and every probe is in the audit log).
A sign-in without a request (the test client's `login()`, the shell) has no address and is
not throttled; every HTTP path passes the request.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from avrecords.audit.services import record
from avrecords.org.scope import sees_everything

API_PREFIX = "/api/"


def cooloff() -> dt.timedelta:
    return dt.timedelta(minutes=settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES)


class LoginBackend(AxesStandaloneBackend, ModelBackend):
    """Refuses a locked account or address before any hash, and an unknown or deactivated
    user name without one; otherwise checks the password as ModelBackend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            # axes raises PermissionDenied here for a locked account or address.
            super().authenticate(request, username, password, **kwargs)
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        return user if user.check_password(password) else None


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for addresses, a success that clears
    only its account's failures, and no request body read for a failed API sign-in."""

    def get_failures(self, request, credentials=None) -> int:
        # AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"]: one queryset each. axes
        # compares the result with AXES_FAILURE_LIMIT (the account limit), so the address's
        # count is scaled to it: floor(n × account / address) reaches it exactly at n = address.
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.AVRECORDS_LOGIN_FAILURE_LIMIT
        address_limit = settings.AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_account, by_address * account_limit // address_limit)

    def reset_user_attempts(self, request, credentials=None) -> int:
        # axes would also clear the address's failures: one valid account would then reset
        # the count of an address trying others' passwords.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None and not hasattr(request, "_post"):
            # axes copies the form fields into its row. A failed HTTP Basic request's body (a
            # multi-GB upload, say) has not been parsed, and nothing reads it after the 401:
            # it must not be spooled to disk just for that.
            request._post, request._files = QueryDict(), MultiValueDict()
        return super().user_login_failed(sender, credentials, request, **kwargs)


def lockout_message(minutes: int) -> str:
    return f"登录失败次数过多，账户已暂时锁定，请 {minutes} 分钟后再试或联系系统管理员"


def minutes_left(username: str | None, address: str | None) -> int:
    """Whole minutes until the lock on this name or address lifts (at most the cool-off)."""
    latest = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address)).aggregate(
        at=Max("attempt_time")
    )["at"]
    if latest is None:
        return settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES
    seconds = (latest + cooloff() - timezone.now()).total_seconds()
    return max(1, min(settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES, math.ceil(seconds / 60)))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with the Chinese message, on the login page or as API JSON."""
    username = get_client_username(request, credentials)
    message = lockout_message(minutes_left(username, getattr(request, "axes_ip_address", None)))
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": message}, status=429, json_dumps_params={"ensure_ascii": False}
        )
    form = AuthenticationForm(request, initial={"username": username or ""})
    context = {"form": form, "lockout": message, "next": request.POST.get("next", "")}
    return render(request, "web/login.html", context, status=429)


# --- the system administrator's view and unlock -------------------------------------------


@dataclass(frozen=True)
class Lockout:
    """A locked account or client address, as the lockouts page lists it."""

    kind: str  # "account" or "address"
    value: str
    failures: int
    until: dt.datetime

    @property
    def kind_label(self) -> str:
        return "账户" if self.kind == "account" else "地址"


def can_unlock(user) -> bool:
    """System administrators see and lift sign-in locks."""
    return user.is_authenticated and sees_everything(user)


def current_lockouts() -> list[Lockout]:
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff())
    found = []
    for kind, field, limit in (
        ("account", "username", settings.AVRECORDS_LOGIN_FAILURE_LIMIT),
        ("address", "ip_address", settings.AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT),
    ):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        found += [Lockout(kind, r[field], r["failures"], r["last"] + cooloff()) for r in rows]
    return found


class UnlockRefused(Exception):
    """Nothing to unlock was named; the message is for the user."""


def unlock(actor, *, username: str = "", address: str = "", ip: str = "") -> int:
    """Clear the failures of one account or one client address; audited (auth.unlock)."""
    if not can_unlock(actor):
        raise UnlockRefused("只有系统管理员可以解除登录锁定")
    if bool(username) == bool(address):
        raise UnlockRefused("请选择要解除锁定的账户或地址")
    with transaction.atomic():
        if username:
            cleared = AxesProxyHandler.reset_attempts(username=username)
            summary = f"解除账户登录锁定：{username}"
        else:
            cleared = AxesProxyHandler.reset_attempts(ip_address=address)
            summary = f"解除地址登录锁定：{address}"
        User = get_user_model()
        account = User.objects.filter(username=username).first() if username else None
        record(
            "auth.unlock",
            actor=actor,
            obj=account,
            object_type="" if account else "axes.accessattempt",
            summary=summary,
            detail={"username": username, "address": address, "attempts_cleared": cleared},
            ip=ip,
        )
    return cleared
