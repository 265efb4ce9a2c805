"""Personal API tokens (issue 18 §2, §5): a case or HR system calls /api/v1/ with
`Authorization: Bearer avr_…` as the person who made the token, so a person whose role must
sign in with two factors never gives his password to a script.

A person makes his own tokens on his page (after his second factor, which the pages' middleware
asks first); the secret is returned once and only its SHA-256 is kept, looked up by that hash
(an index lookup of a digest an attacker cannot aim at, so no timing leaks the secret). He
revokes or rotates his own; a system administrator may revoke anybody's. Every change is
audited (agency.api_token_*), never with the secret.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from avrecords.agency.permissions import manages_everyone
from avrecords.audit.services import record
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound
from avrecords.org.models import ApiToken, User
from avrecords.org.tokens import (  # noqa: F401 (digest_of, TokenRefused: re-exported)
    STATION_TOKEN_MESSAGE,
    TokenRefused,
    digest_of,
    find,
    new_secret,
    prefix_of,
    touch,
)

VALID_DAYS_DEFAULT = 365
VALID_DAYS_MAX = 730
NAME_MAX_CHARS = 100

UNKNOWN_MESSAGE = "接口令牌无效，请检查令牌是否完整"
REVOKED_MESSAGE = "接口令牌已撤销，请在“接口令牌”页创建新令牌"
EXPIRED_MESSAGE = "接口令牌已过期（{date}），请在“接口令牌”页创建新令牌"
INACTIVE_MESSAGE = "接口令牌所属的账号已停用"


@dataclass(frozen=True)
class Created:
    """A new token and its secret: the secret exists only here, shown to its maker once."""

    token: ApiToken
    secret: str


def _snapshot(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


# --- reading ------------------------------------------------------------------------------


def tokens_of(person: User):
    """His tokens, those not revoked first, newest first within each."""
    return ApiToken.objects.filter(user=person).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-pk"
    )


def _get(actor: User, token_id) -> ApiToken:
    """One token the actor may act on: his own, or anybody's for a system administrator;
    anything else looks missing."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    mine = Q(user=actor)
    # a station's token (no person) is kept on the station's page, not here (issue 19 §1)
    people = ApiToken.objects.filter(user__isnull=False)
    scope = people if manages_everyone(actor) else ApiToken.objects.filter(mine)
    token = scope.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    return token


# --- changes ------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid(fields={"name": "请填写令牌名称（如“人事系统同步”）"})
    if len(name) > NAME_MAX_CHARS:
        raise Invalid(fields={"name": f"名称不超过 {NAME_MAX_CHARS} 个字"})
    return name


def _clean_days(days) -> int:
    if days in (None, ""):
        return VALID_DAYS_DEFAULT
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid(fields={"days": "有效天数应为整数"}) from None
    if not 1 <= days <= VALID_DAYS_MAX:
        raise Invalid(fields={"days": f"有效天数应在 1 至 {VALID_DAYS_MAX} 天之间"})
    return days


def _issue(owner: User, name: str, now, expires_at) -> Created:
    secret = new_secret()
    token = ApiToken.objects.create(
        user=owner,
        created_at=now,
        name=name,
        prefix=prefix_of(secret),
        digest=digest_of(secret),
        expires_at=expires_at,
    )
    return Created(token, secret)


def create(actor: User, name: str, days=None, *, ip: str = "") -> Created:
    """A token of the actor's own, valid `days` (default a year); its secret returned once."""
    if not actor.is_authenticated or not actor.is_active:
        raise Forbidden()
    name = _clean_name(name)
    days = _clean_days(days)
    with transaction.atomic():
        now = timezone.now()
        created = _issue(actor, name, now, now + dt.timedelta(days=days))
        record(
            "agency.api_token_create",
            actor=actor,
            obj=created.token,
            summary=f"创建接口令牌“{name}”（{created.token.prefix}…，{days} 天有效）",
            detail={"after": _snapshot(created.token)},
            ip=ip,
        )
    return created


def revoke(actor: User, token_id, *, ip: str = "") -> ApiToken:
    """Revoke one token: one's own, or anybody's for a system administrator."""
    with transaction.atomic():
        token = _get(actor, token_id)
        # not with its (nullable) owner joined: PostgreSQL locks no outer join's null side
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.is_revoked:
            raise Conflict("该令牌已撤销")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        owner = "" if token.user_id == actor.pk else f"{token.user}的"
        record(
            "agency.api_token_revoke",
            actor=actor,
            obj=token,
            summary=f"撤销{owner}接口令牌“{token.name}”（{token.prefix}…）",
            detail={"before": _snapshot(token)},
            ip=ip,
        )
    return token


def revoke_all(actor: User, person: User, *, ip: str = "") -> int:
    """A system administrator revokes every live token of a person (a person leaving, a
    secret leaked): one audit entry on the person, even when he had none."""
    if not manages_everyone(actor):
        raise Forbidden()
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(user=person).live())
        now = timezone.now()
        ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)
        names = "、".join(f"“{t.name}”" for t in live)
        record(
            "agency.api_token_revoke",
            actor=actor,
            obj=person,
            summary=f"撤销{person}的全部接口令牌（{len(live)} 个{'：' + names if live else ''}）",
            detail={"before": [_snapshot(t) for t in live]},
            ip=ip,
        )
    return len(live)


def rotate(actor: User, token_id, *, ip: str = "") -> Created:
    """A new secret in place of one of one's own live tokens: same name, as long valid as
    the old one was made for; the old one revoked at once."""
    with transaction.atomic():
        old = _get(actor, token_id)
        old = ApiToken.objects.select_for_update().get(pk=old.pk)
        if old.user_id != actor.pk:
            raise Forbidden("只能更换本人的接口令牌")
        if old.is_revoked or old.is_expired:
            raise Conflict("该令牌已撤销或已过期，请创建新令牌")
        now = timezone.now()
        period = (old.expires_at - old.created_at) if old.expires_at else None
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
        created = _issue(actor, old.name, now, now + period if period else None)
        record(
            "agency.api_token_rotate",
            actor=actor,
            obj=created.token,
            summary=f"更换接口令牌“{old.name}”（{old.prefix}… 换为 {created.token.prefix}…）",
            detail={"before": _snapshot(old), "after": _snapshot(created.token)},
            ip=ip,
        )
    return created


# --- the API's authentication -------------------------------------------------------------


def authenticate(secret: str) -> ApiToken:
    """The live token of an active person a Bearer secret is; TokenRefused otherwise.
    Whether he must first change his password is the caller's to ask (as for HTTP Basic)."""
    token = find(secret)
    if token is None:
        raise TokenRefused(UNKNOWN_MESSAGE)
    if token.user_id is None:  # a collection station's (issue 19 §1)
        raise TokenRefused(STATION_TOKEN_MESSAGE)
    if token.is_revoked:
        raise TokenRefused(REVOKED_MESSAGE)
    if token.is_expired:
        date = timezone.localdate(token.expires_at)
        raise TokenRefused(EXPIRED_MESSAGE.format(date=f"{date:%Y-%m-%d}"))
    if not token.user.is_active:
        raise TokenRefused(INACTIVE_MESSAGE)
    touch(token)
    return token
