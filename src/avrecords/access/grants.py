"""The check made on every playback and download (M3, M8): is there a live grant?

- Playing a recording: its own officer, or the colleague it was handed over to (E5), plays it
  freely (X2: officers see their own recordings); anyone else needs a live 查阅 or 复制 grant
  covering it.
- Downloading an original: always a live 复制 grant, whoever asks (M3: no private copies;
  001§24: 未经批准，不得擅自对外提供).
- Reviewing for supervision: where the unit's profile gives supervisors their own access
  (`supervision.review_access`, fuzhou 004§10, 004§22; the approvals engine reads it), a
  supervisor over the unit plays the recordings of an activity he is reviewing — sampled for a
  campaign, complained about — without asking the unit under review. Supervision says which
  (`REVIEWING`, filled in its ready()); the playback is audited like any other. Under chengde
  001§23 sends it through 001§22: he asks like anyone else.

A live grant is an executed request of the person asking, not revoked and before its
valid_until. Each act under a grant is written to the register (查阅登记簿 / 复制登记簿).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from avrecords.access.models import (
    AccessRequest,
    RegisterEntry,
    RegisterKind,
    RequestKind,
    RequestStatus,
)
from avrecords.lib.refusals import Forbidden
from avrecords.policies import approvals

PLAY_KINDS = (RequestKind.VIEW, RequestKind.COPY)
COPY_KINDS = (RequestKind.COPY,)


class NoGrant(Forbidden, PermissionError):
    """No live grant (403); the message tells the user what to ask for, in Chinese."""


def owns(user, recording) -> bool:
    return user.pk is not None and user.pk in (recording.officer_id, recording.keeper_id)


def live_grant(user, recording, kinds) -> AccessRequest | None:
    return (
        AccessRequest.objects.filter(
            requester=user,
            status=RequestStatus.ACTIVE,
            valid_until__gt=timezone.now(),
            kind__in=kinds,
            recordings=recording,
        )
        .order_by("-valid_until")
        .first()
    )


# Upper apps say what a person is reviewing: (user, recording) -> why ("" when he is not)
REVIEWING: list[Callable[..., str]] = []


def reviewing(user, recording) -> str:
    """Why the person may play the recording for supervision without a request ("" if not):
    the profile lets supervisors review directly and he is reviewing its activity."""
    if not REVIEWING or not approvals.reviews_without_asking(user, recording.unit):
        return ""
    return next((why for source in REVIEWING if (why := source(user, recording))), "")


def may_play(user, recording) -> bool:
    return (
        owns(user, recording)
        or live_grant(user, recording, PLAY_KINDS) is not None
        or bool(reviewing(user, recording))
    )


def may_download(user, recording) -> bool:
    return live_grant(user, recording, COPY_KINDS) is not None


def for_playback(user, recording) -> AccessRequest | None:
    """The grant playback happens under (None for the recording's own officer and for a
    supervisor reviewing it, neither needing one); NoGrant if none."""
    if owns(user, recording):
        return None
    grant = live_grant(user, recording, PLAY_KINDS)
    if grant is None and reviewing(user, recording):
        return None
    if grant is None:
        raise NoGrant(
            "无权播放：查阅他人的音像记录须经批准，请先提交查阅申请，审批并办理后在有效期内查阅"
        )
    return grant


def for_download(user, recording) -> AccessRequest:
    grant = live_grant(user, recording, COPY_KINDS)
    if grant is None:
        raise NoGrant(
            "无权下载原始文件：复制须经批准，请先提交复制申请，审批并办理后在有效期内下载"
        )
    return grant


def register(
    grant: AccessRequest, *, register: str, act: str, actor, recording=None, item: str = "", ip=""
) -> RegisterEntry:
    return RegisterEntry.objects.create(
        register=register,
        act=act,
        request=grant,
        recording=recording,
        item=item or (recording.original_name if recording else ""),
        actor=actor,
        unit=recording.unit if recording else grant.unit,
        ip=ip or None,
    )


def register_playback(grant, user, recording, ip="", *, act: str = "播放") -> None:
    """A playback (or a thumbnail: act 查看缩略图) under a grant; the officer's own needs none."""
    if grant is not None:
        register(grant, register=RegisterKind.VIEW, act=act, actor=user, recording=recording, ip=ip)


def register_download(grant, user, recording, ip="") -> None:
    register(
        grant,
        register=RegisterKind.COPY,
        act="下载原始文件",
        actor=user,
        recording=recording,
        ip=ip,
    )
