"""The marks on a recording's timeline, and the bookmarks viewers add (issue 17 §5, M3, X1).

A mark is a moment of a recording worth seeing: a finding about it (compliance), a reviewer's
timed note (supervision), a viewer's bookmark (here), the notice-check result (not built yet;
its kind is reserved). Recordings may not import the apps above it, so they fill a small
registry in their `AppConfig.ready()`, like panels:

    marks.register("compliance.findings", findings_marks)   # fn(user, recording) -> [Mark]

Marks are shown only to people who may play the recording (`panels.PLAYBACK.may_play`): a
mark is a pointer into the recording's content. Each provider still applies its own scope
(a finding the person may not see is not his mark either).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from avrecords.audit import services as audit
from avrecords.equipment.models import ClockFlag
from avrecords.lib.refusals import Forbidden, NotFound, Refusal
from avrecords.panels import PLAYBACK
from avrecords.recordings.models import Bookmark, Recording

log = logging.getLogger(__name__)

BOOKMARK_MAX_CHARS = 200
BOOKMARKS_PER_RECORDING_MAX = 500

# Kind → its Chinese name (legend, list) ; the page colours each kind by its code.
KINDS = {
    "finding": "合规问题",
    "note": "评查备注",
    "bookmark": "标记",
    "notice": "告知检查",  # the notice-check result: its provider registers here when built
}


@dataclass(frozen=True)
class Mark:
    """One moment on the timeline: where (seconds from the start), what kind, what it says."""

    at: float
    kind: str
    text: str
    bookmark_id: int | None = None  # a bookmark the person may delete
    deletable: bool = False

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, "")

    @property
    def clock(self) -> str:
        return clock(self.at)


def clock(seconds: float) -> str:
    """00:02:13: hours always shown, as the player's time display."""
    whole = max(0, int(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


Provider = Callable[..., list[Mark]]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> Provider:
    """Add (or replace: ready() may run twice in tests) the provider `name`."""
    _PROVIDERS[name] = provider
    return provider


def unregister(name: str) -> None:
    _PROVIDERS.pop(name, None)


def for_recording(user, recording: Recording) -> list[Mark]:
    """Every mark of the recording for this person, by time; none for one who may not play.

    Times are held inside the recording (a gap before it sits at its start, after it at its
    end). A provider that fails is logged and left out: the page still plays."""
    if not PLAYBACK.may_play(user, recording):
        return []
    duration = float(recording.duration_seconds or 0)
    out: list[Mark] = []
    for name, provider in list(_PROVIDERS.items()):
        try:
            found = provider(user, recording)
        except Exception:  # one app's fault must not take the player down
            log.exception("timeline marks provider %s failed for recording %s", name, recording.pk)
            continue
        for mark in found:
            at = min(max(0.0, float(mark.at)), duration) if duration else max(0.0, float(mark.at))
            out.append(mark if at == mark.at else _moved(mark, at))
    return sorted(out, key=lambda m: (m.at, list(KINDS).index(m.kind) if m.kind in KINDS else 9))


def _moved(mark: Mark, at: float) -> Mark:
    return Mark(at, mark.kind, mark.text, mark.bookmark_id, mark.deletable)


def bookmark_marks(user, recording: Recording) -> list[Mark]:
    return [
        Mark(
            b.at_seconds,
            "bookmark",
            f"{b.text}（{b.created_by.display_name}）",
            b.pk,
            b.created_by_id == user.pk,
        )
        for b in recording.bookmarks.select_related("created_by")
    ]


def clock_flag_marks(user, recording: Recording) -> list[Mark]:
    """A device clock found off when this recording was stored (E7), at its start."""
    flags = ClockFlag.objects.visible_to(user).filter(recording=recording)
    return [
        Mark(
            0.0,
            "finding",
            f"设备时钟偏差 {f.offset_seconds} 秒（允许 {f.tolerance_seconds} 秒）："
            f"{f.get_kind_display()}" + ("（已处理）" if f.resolved_at else ""),
        )
        for f in flags
    ]


register("recordings.bookmarks", bookmark_marks)
register("recordings.clock_flags", clock_flag_marks)


# --- bookmarks -------------------------------------------------------------------------------


class BookmarkInvalid(Refusal, ValueError):
    """A bookmark that cannot be saved: each reason in Chinese, nothing stored (400)."""

    status = 400
    api_prefix = "未添加标记："


def playable(user, recording_id: int) -> Recording:
    recording = Recording.objects.get_visible(user, recording_id)
    if recording.purged_at is not None:
        raise NotFound("该音像记录已按保存期限清除")
    if not PLAYBACK.may_play(user, recording):
        raise Forbidden("无权播放该音像记录，不能添加或查看标记")
    return recording


def seconds_of(value) -> float | None:
    try:
        seconds = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) else None


def add_bookmark(user, recording_id: int, *, at, text: str, ip: str = "") -> Bookmark:
    """Mark the moment `at` (seconds) with `text`; anyone who may play may, audited."""
    recording = playable(user, recording_id)
    fields = {}
    seconds = seconds_of(at)
    duration = float(recording.duration_seconds or 0)
    if seconds is None:
        fields["at"] = "时间点应为从开始算起的秒数"
    elif seconds < 0 or seconds > duration + 0.5:
        fields["at"] = f"时间点 {clock(seconds)} 超出该音像记录的时长（{clock(duration)}）"
    text = (text or "").strip()
    if not text:
        fields["text"] = "请写明标记内容"
    elif len(text) > BOOKMARK_MAX_CHARS:
        fields["text"] = f"标记内容过长（最多 {BOOKMARK_MAX_CHARS} 个字符）"
    if recording.bookmarks.count() >= BOOKMARKS_PER_RECORDING_MAX:
        fields["at"] = f"该音像记录的标记已达上限（{BOOKMARKS_PER_RECORDING_MAX} 个）"
    if fields:
        raise BookmarkInvalid(fields=fields)
    seconds = min(seconds, duration) if duration else seconds
    with transaction.atomic():
        bookmark = Bookmark.objects.create(
            recording=recording, at_seconds=seconds, text=text, created_by=user
        )
        audit.record(
            "recording.bookmark",
            actor=user,
            obj=recording,
            # the text stays in `detail`: the page's trail shows summaries to people who may
            # not play the recording, and a bookmark says something of its content
            summary=f"添加标记 {clock(seconds)}",
            detail={"bookmark": bookmark.pk, "at": seconds, "text": text},
            ip=ip,
        )
    return bookmark


def delete_bookmark(user, recording_id: int, bookmark_id: int, *, ip: str = "") -> None:
    """The bookmark's creator removes it (nobody else), audited."""
    recording = playable(user, recording_id)
    bookmark = recording.bookmarks.filter(pk=bookmark_id).first()
    if bookmark is None:
        raise NotFound("没有这个标记")
    if bookmark.created_by_id != user.pk:
        raise Forbidden("只能删除本人添加的标记")
    with transaction.atomic():
        bookmark.delete()
        audit.record(
            "recording.bookmark_delete",
            actor=user,
            obj=recording,
            summary=f"删除标记 {clock(bookmark.at_seconds)}",
            detail={"bookmark": bookmark_id, "at": bookmark.at_seconds, "text": bookmark.text},
            ip=ip,
        )
