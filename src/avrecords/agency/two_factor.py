"""Two-factor sign-in (issue 18 §5): who must use it, a person's state, enrolment, checking a
code, recovery codes, and the reset by another system administrator.

A person's second factor is a django-otp TOTP device (an authenticator app on his phone) and a
static device holding his 10 recovery codes, each usable once. The roles that must use it are
AVRECORDS_TWO_FACTOR_ROLES (system administrators and leaders unless configured otherwise; a
superuser counts as a system administrator); anybody else may enrol of his own accord, and
once enrolled is asked for a code at every sign-in too.

Wrong codes have their own bound, kept on the person's devices (so a new sign-in with the
password does not start it again, as it would the sign-in throttle's count): after
AVRECORDS_LOGIN_FAILURE_LIMIT wrong codes within AVRECORDS_LOGIN_LOCKOUT_MINUTES of the last,
codes are refused, unchecked, until that long after the last. django-otp's own doubling
delays are off (settings: OTP_*_THROTTLE_FACTOR = 0). A reset by another system
administrator removes every device, and with them the count.

Every change and every sign-in step is in the audit log (actions agency.two_factor_*), never
with a code or key.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from avrecords.agency.permissions import can_manage_people
from avrecords.audit.services import record
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.org.models import Role, Unit

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "恢复码"
APP_NAME = "AVRecords"
TOTP_DIGITS = 6
_NOT_CODE_RE = re.compile(r"[\s\-]")


# --- who must, and where a person stands --------------------------------------------------


def is_required(user) -> bool:
    """The person's role is one that must sign in with a second factor."""
    roles = settings.AVRECORDS_TWO_FACTOR_ROLES
    return bool(user.role in roles or (user.is_superuser and Role.SYSADMIN in roles))


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_step(user) -> str | None:
    """What a signed-in session still lacks: "verify" (a code, for an enrolled person),
    "enrol" (a person who must but has no device), or None. `user` is request.user, on which
    django-otp's middleware says whether this session gave a code."""
    if not user.is_authenticated or user.is_verified():
        return None
    if is_enrolled(user):
        return "verify"
    if is_required(user):
        return "enrol"
    return None


def state_of(person) -> str:
    """The person page's words: 已启用（2026-12-06 启用）, 未启用（按规定须启用）, 未启用."""
    device = authenticator(person)
    if device is not None:
        since = timezone.localdate(device.created_at) if device.created_at else None
        return f"已启用（{since:%Y-%m-%d} 启用）" if since else "已启用"
    return "未启用（按规定须启用）" if is_required(person) else "未启用"


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment ----------------------------------------------------------------------------


def agency_name(user) -> str:
    """The top unit of the person's tree (the agency), else the first top unit."""
    tops = Unit.objects.filter(parent__isnull=True)
    if user.unit_id:
        top = tops.filter(path=user.unit.path[:7]).first()
        if top is not None:
            return top.name
    top = tops.order_by("path").first()
    return top.name if top else ""


def issuer(user) -> str:
    name = agency_name(user)
    return f"{APP_NAME}（{name}）" if name else APP_NAME


def start_enrolment(user) -> TOTPDevice:
    """The unconfirmed device the enrolment page shows (the same one until it is confirmed,
    so reloading the page does not change the key the phone already holds)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=issuer(user), confirmed=False)
    return device


@dataclass(frozen=True)
class Provisioning:
    """What the enrolment page shows: the QR code, the key for typing in, the entry's name."""

    name: str
    uri: str
    svg: str
    key_groups: list[str]


def provisioning(device: TOTPDevice) -> Provisioning:
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    label = f"{device.name}: {device.user.get_username()}"
    params = {"secret": key, "algorithm": "SHA1", "digits": device.digits, "period": device.step}
    uri = f"otpauth://totp/{quote(label)}?{urlencode(params)}&issuer={quote(device.name)}"
    import segno  # the QR code library, only where a code is drawn (issue 22 §1)

    svg = segno.make(uri, error="m").svg_inline(scale=4, title="扫描此二维码添加到身份验证器")
    groups = [key[i : i + 4] for i in range(0, len(key), 4)]
    return Provisioning(name=label, uri=uri, svg=svg, key_groups=groups)


def confirm_enrolment(user, token: str, *, ip: str = "") -> list[str]:
    """Confirm the enrolment page's device with one code from the phone; any earlier device is
    replaced, and 10 new recovery codes are made and returned (shown once). Invalid if the
    code is wrong (the person may try again: the key is his own, nothing to guess)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise Conflict("请重新打开启用双因素登录的页面")
    if not device.verify_token(_clean(token)):
        raise Invalid(fields={"token": "验证码不正确：请输入身份验证器上当前显示的 6 位数字"})
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
        device.confirmed = True
        device.created_at = timezone.now()  # 启用 on the day it is confirmed
        device.save(update_fields=["confirmed", "created_at"])
        codes = _new_recovery_codes(user)
        record(
            "agency.two_factor_enrol",
            actor=user,
            obj=user,
            summary="启用双因素登录（身份验证器），生成恢复码 10 个"
            + ("，替换原有身份验证器" if replaced else ""),
            detail={"recovery_codes": RECOVERY_CODE_COUNT, "replaced": bool(replaced)},
            ip=ip,
        )
    return codes


def _new_recovery_codes(user) -> list[str]:
    # the same device with new codes: a session verified with an old code stays verified
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


# --- a code at sign-in ----------------------------------------------------------------------


class CodeRefused(Exception):
    """A code not accepted; the message is for the person. `locked`: no code is checked until
    the lock lifts."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


def _clean(token: str) -> str:
    return _NOT_CODE_RE.sub("", token or "").lower()


def _failures(user) -> tuple[int, dt.datetime | None]:
    """Wrong codes since the last right one, across the person's devices, and the latest."""
    totals = [
        model.objects.filter(user=user).aggregate(
            n=Sum("throttling_failure_count"), at=Max("throttling_failure_timestamp")
        )
        for model in (TOTPDevice, StaticDevice)
    ]
    count = sum(t["n"] or 0 for t in totals)
    latest = max((t["at"] for t in totals if t["at"]), default=None)
    return count, latest


def _clear_failures(user) -> None:
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )


def _forget_old_failures(user) -> None:
    """Wrong codes count while each follows the last within the lock time (as the sign-in
    throttle's do): after a quiet lock time the count starts again."""
    count, latest = _failures(user)
    lock = dt.timedelta(minutes=settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES)
    if count and latest is not None and latest + lock <= timezone.now():
        _clear_failures(user)


def minutes_locked(user) -> int:
    """Whole minutes until codes are checked again; 0 when they are."""
    count, latest = _failures(user)
    if count < settings.AVRECORDS_LOGIN_FAILURE_LIMIT or latest is None:
        return 0
    lock = dt.timedelta(minutes=settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES)
    seconds = (latest + lock - timezone.now()).total_seconds()
    return max(0, math.ceil(seconds / 60))


def locked_message(minutes: int) -> str:
    return f"验证码错误次数过多，已暂时锁定，请 {minutes} 分钟后再试或联系系统管理员重置双因素登录"


def verify(user, token: str, *, ip: str = "") -> TOTPDevice | StaticDevice:
    """The device that accepts the code: 6 digits from the authenticator, else a recovery
    code (used up). CodeRefused if wrong or while locked; each wrong code and the lock are
    audited, as is the code accepted (and how many recovery codes are left)."""
    _forget_old_failures(user)
    if minutes := minutes_locked(user):
        raise CodeRefused(locked_message(minutes), locked=True)
    token = _clean(token)
    if not token:
        raise CodeRefused("请输入身份验证器上的 6 位验证码，或一个恢复码")
    by_app = token.isdigit() and len(token) == TOTP_DIGITS
    model = TOTPDevice if by_app else StaticDevice
    devices = list(model.objects.filter(user=user, confirmed=True))
    with transaction.atomic():
        accepted = next((d for d in devices if d.verify_token(token)), None)
        if accepted is None:
            if not devices:  # nothing counted the wrong code: count it on the authenticator
                if device := authenticator(user):
                    device.throttle_increment()
            record(
                "agency.two_factor_failed",
                actor=user,
                obj=user,
                summary="双因素登录验证码错误" if by_app else "双因素登录恢复码错误",
                detail={"kind": "totp" if by_app else "recovery"},
                ip=ip,
            )
        else:
            _clear_failures(user)
            left = recovery_codes_left(user)
            summary = "双因素登录验证通过（身份验证器）"
            if not by_app:
                summary = f"双因素登录验证通过（恢复码，剩余 {left} 个）"
            record(
                "agency.two_factor_verify",
                actor=user,
                obj=user,
                summary=summary,
                detail={"kind": "totp" if by_app else "recovery", "recovery_codes_left": left},
                ip=ip,
            )
            return accepted
    if minutes := minutes_locked(user):
        record(
            "agency.two_factor_lockout",
            actor=user,
            obj=user,
            summary=f"双因素登录验证码错误次数过多，已锁定 {minutes} 分钟",
            detail={"minutes": minutes},
            ip=ip,
        )
        raise CodeRefused(locked_message(minutes), locked=True)
    raise CodeRefused("验证码不正确，请重新输入（也可输入一个恢复码）")


# --- one's own page ---------------------------------------------------------------------------


def regenerate_recovery_codes(user, token: str, *, ip: str = "") -> list[str]:
    """10 new recovery codes in place of the old ones, against a current code from the
    authenticator (a stolen session alone cannot make them)."""
    device = authenticator(user)
    if device is None:
        raise Conflict("尚未启用双因素登录")
    _forget_old_failures(user)
    if minutes := minutes_locked(user):
        raise Invalid(fields={"token": locked_message(minutes)})
    if not device.verify_token(_clean(token)):
        record(
            "agency.two_factor_failed",
            actor=user,
            obj=user,
            summary="重新生成恢复码时验证码错误",
            detail={"kind": "totp"},
            ip=ip,
        )
        raise Invalid(fields={"token": "验证码不正确：请输入身份验证器上当前显示的 6 位数字"})
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record(
            "agency.two_factor_codes",
            actor=user,
            obj=user,
            summary="重新生成双因素登录恢复码 10 个（原有恢复码作废）",
            detail={"recovery_codes": RECOVERY_CODE_COUNT},
            ip=ip,
        )
    return codes


def disable(user, *, ip: str = "") -> None:
    """Stop using a second factor, for a person whose role does not require one."""
    if is_required(user):
        raise Forbidden("按规定，您的角色须使用双因素登录，不能停用")
    if not is_enrolled(user):
        raise Conflict("尚未启用双因素登录")
    with transaction.atomic():
        removed = _remove_devices(user)
        record(
            "agency.two_factor_disable",
            actor=user,
            obj=user,
            summary="停用本人的双因素登录",
            detail={"devices_removed": removed},
            ip=ip,
        )


# --- reset by another system administrator ----------------------------------------------------


def can_reset(actor, person) -> bool:
    return can_manage_people(actor) and actor.pk != person.pk


def reset(actor, person, *, ip: str = "") -> int:
    """Remove the person's authenticator and recovery codes (a lost phone): he enrols again
    at his next sign-in, or goes without if his role does not require it. Only a system
    administrator, and never for himself (another one must: else a stolen password and
    session of one administrator would undo his own second factor). Returns how many
    devices were removed."""
    if not can_manage_people(actor):
        raise Forbidden("只有系统管理员可以重置他人的双因素登录")
    if actor.pk == person.pk:
        raise Forbidden("不能重置本人的双因素登录：请由另一名系统管理员办理")
    with transaction.atomic():
        before = state_of(person)
        removed = _remove_devices(person)
        record(
            "agency.two_factor_reset",
            actor=actor,
            obj=person,
            summary=f"重置 {person.display_name} 的双因素登录（原为：{before}）",
            detail={"before": {"state": before}, "devices_removed": removed},
            ip=ip,
        )
    return removed


def _remove_devices(user) -> int:
    totp = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    static = StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
    return totp + static
