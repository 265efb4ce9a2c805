"""Personal API tokens (issue 18 §2, §5). One's own page is everyone's, and so is making a
token there (audited, naming the new token). Revoking a token: its maker, or any system
administrator; anybody else is told it does not exist. Rotating: its maker only (a system
administrator is sent back with a message, nothing done). Revoking all of a person's, from his
page: system administrators, audited on the person even when he had none. The API lists one's
own (everyone's, read only). The token each row
acts on is 张伟's, made fresh by the row's body."""

from __future__ import annotations

import secrets

from avrecords.agency.api_tokens import digest_of
from avrecords.org.models import ApiToken
from tests.permissions.rules import EVERYONE, POLICY_MANAGERS, Endpoint, Target, post

OWNER_AND_SYSADMINS = frozenset({"officer"}) | POLICY_MANAGERS
NEW_TOKEN = Target("api-token-new", audited_as="org.apitoken", audited_id=None)
ZHANG_WEIS = Target(
    "api-token",
    seen_by=OWNER_AND_SYSADMINS,
    audited_as="org.apitoken",
    audited_id=lambda w: ApiToken.objects.filter(user=w.users["officer"]).latest("pk").pk,
)
PERSON = Target("person-api-tokens", audited_as="org.user", audited_id=lambda w: w.person)


def _zhang_weis_token(world) -> dict:
    secret = "avr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=world.users["officer"], name="办案系统", prefix=secret[:8], digest=digest_of(secret)
    )
    return {"token": token.pk}


ROWS = [
    Endpoint("api-tokens-mine", "/api/v1/tokens", EVERYONE),
    Endpoint("page-api-tokens", "/account/api-tokens/", EVERYONE),
    post(
        "page-api-tokens-create",
        "/account/api-tokens/",
        EVERYONE,
        NEW_TOKEN,
        audit="agency.api_token_create",
        body=lambda w: {"name": "人事系统同步", "days": "365"},
    ),
    post(
        "page-api-tokens-revoke",
        "/account/api-tokens/revoke",
        OWNER_AND_SYSADMINS,
        ZHANG_WEIS,
        audit="agency.api_token_revoke",
        body=_zhang_weis_token,
    ),
    post(
        "page-api-tokens-rotate",
        "/account/api-tokens/rotate",
        OWNER_AND_SYSADMINS,
        ZHANG_WEIS,
        audit="agency.api_token_rotate",
        audited_for=frozenset({"officer"}),
        body=_zhang_weis_token,
    ),
    post(
        "page-api-tokens-revoke-all",
        "/account/api-tokens/people/{person}/revoke-all",
        POLICY_MANAGERS,
        PERSON,
        audit="agency.api_token_revoke",
    ),
]
