"""API token secrets (issue 18 §2, issue 19 §1): how a secret is made, kept and found, for the
two kinds of holder — a person (agency/api_tokens.py) and a collection station
(stations/auth.py). One format, `avr_` and 43 URL-safe characters; only its SHA-256 is
stored, and a token is found by that digest (an index lookup of a value an attacker cannot
aim at, so no timing leaks the secret)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import Q
from django.utils import timezone

from avrecords.org.models_tokens import ApiToken

SECRET_PREFIX = "avr_"
SECRET_BYTES = 32
SHOWN_PREFIX_CHARS = 8
LAST_USED_EVERY_SECONDS = 60  # last_used_at is written at most once a minute per token

# A station's token sent where a person's is expected (and the other way round): 401 with this.
STATION_TOKEN_MESSAGE = "该令牌属于采集站，只能用于采集站接口"
PERSON_TOKEN_MESSAGE = "该令牌属于个人，不能用于采集站接口，请使用采集站令牌"


class TokenRefused(Exception):
    """A Bearer token that opens nothing: unknown, revoked, expired, its person disabled or its
    station retired, or a token of the other kind (the API answers 401 with these words)."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str:
    """What a list shows of a secret: far too little to use."""
    return secret[:SHOWN_PREFIX_CHARS]


def find(secret: str) -> ApiToken | None:
    """The token a presented secret is (revoked and expired ones too), or None."""
    secret = (secret or "").strip()
    if not secret.startswith(SECRET_PREFIX):
        return None
    return ApiToken.objects.filter(digest=digest_of(secret)).first()


def touch(token: ApiToken) -> bool:
    """Note that the token was presented now, at most once a minute (one conditional UPDATE,
    so concurrent requests write it once). True when this call wrote it."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=LAST_USED_EVERY_SECONDS)
    if token.last_used_at is not None and token.last_used_at >= stale:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale))
        .update(last_used_at=now)
    )
    if written:
        token.last_used_at = now
    return bool(written)
