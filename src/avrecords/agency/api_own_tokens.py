"""/api/v1/tokens (issue 18 §2, §5): the caller's own personal API tokens, so a case or HR
system can see when the token it calls with expires (`current`) and rotate it in time on the
接口令牌 page. Tokens are made, rotated and revoked on that page only (after the second
factor); nobody reads another person's here."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from avrecords.agency import api_tokens
from avrecords.lib.api_schemas import Error

router = Router(tags=["单位与人员"])


class TokenOut(Schema):
    """One of the caller's tokens: never its secret."""

    id: int
    name: str
    prefix: str  # the secret's first 8 characters
    state: str  # 有效 / 已过期 / 已撤销
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    current: bool  # the token this call was made with


@router.get("/tokens", response={200: list[TokenOut], 401: Error}, summary="本人的接口令牌")
def list_tokens(request):
    current = getattr(request, "api_token", None)
    return [
        TokenOut(
            id=t.pk,
            name=t.name,
            prefix=t.prefix,
            state=t.state,
            created_at=t.created_at,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
            current=current is not None and current.pk == t.pk,
        )
        for t in api_tokens.tokens_of(request.user)
    ]
