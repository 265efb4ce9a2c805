"""THE station authentication (issue 19 §1): which station a presented Bearer secret is.

`station_for_secret` is all the API (`avrecords.api.StationAuth`) and the resumable uploads ask.
A station's token is an `org.ApiToken` without a person; every token ever issued to a station
is remembered (`IssuedToken`), so a revoked, replaced or retired station's token presented
again is refused with its reason and audited under the station's name — at most once a minute
per token, so an agent retrying with a void token cannot flood the chain. A person's token is
refused here with its own reason, as a station's is on the person endpoints."""

from __future__ import annotations

from django.utils import timezone

from avrecords.audit.services import record
from avrecords.equipment.models import Station
from avrecords.org.tokens import PERSON_TOKEN_MESSAGE, TokenRefused, find, touch
from avrecords.stations.models import IssuedToken

UNKNOWN_MESSAGE = "采集站令牌无效，请检查配置文件中的令牌是否完整"
REVOKED_MESSAGE = "采集站令牌已撤销或已更换，请向系统管理员索取新令牌"
EXPIRED_MESSAGE = "采集站令牌已过期（{date}），请向系统管理员索取新令牌"
RETIRED_MESSAGE = "采集站“{name}”已停用，不能再上传或报告状态"


def station_for_secret(secret: str, *, ip: str = "") -> Station:
    """The live station a Bearer secret belongs to; TokenRefused (Chinese reason) otherwise."""
    return station_for_token(find(secret), ip=ip)


def station_for_token(token, *, ip: str = "") -> Station:
    """`station_for_secret` for a token already looked up (`org.tokens.find`; None when the
    secret matched none), so a caller that told a station's token from a person's by looking
    it up does not look it up again."""
    if token is None:
        raise TokenRefused(UNKNOWN_MESSAGE)
    if token.user_id is not None:
        raise TokenRefused(PERSON_TOKEN_MESSAGE)
    issued = IssuedToken.objects.select_related("station", "station__unit").filter(token=token)
    issued = issued.first()
    if issued is None:
        raise TokenRefused(UNKNOWN_MESSAGE)
    station = issued.station
    if station.retired_at is not None:
        reason = RETIRED_MESSAGE.format(name=station.name)
    elif token.is_revoked or station.token_id != token.pk:
        reason = REVOKED_MESSAGE
    elif token.is_expired:
        date = timezone.localdate(token.expires_at)
        reason = EXPIRED_MESSAGE.format(date=f"{date:%Y-%m-%d}")
    else:
        touch(token)
        station.token = token
        return station
    if touch(token):  # the first refusal this minute is audited
        record(
            "station.token_refused",
            obj=station,
            actor_label=station.audit_label,
            summary=f"采集站“{station.name}”以令牌 {token.prefix}… 连接被拒绝：{reason}",
            detail={"token": token.prefix, "reason": reason},
            ip=ip,
        )
    raise TokenRefused(reason)
