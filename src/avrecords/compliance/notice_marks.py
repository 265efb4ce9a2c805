"""The notice check's result on the player's timeline (U5, issue 17 §5; 000§12, 001§11, 002§10,
003§9, 004§13), registered in `apps.py` with `recordings.marks` under the reserved kind
"notice": "02:13 检测到告知语（置信度 87%）" where the notice was heard, or "开头 3 分钟未检测到
告知语" at the start of an activity's first recording where it was not. Only for people who
see the activity (X2, M9), as its findings; `recordings.marks` shows marks only to people who
may play the recording."""

from __future__ import annotations

from avrecords.compliance.models import Activity, NoticeCheck, NoticeOutcome
from avrecords.recordings.marks import Mark


def moment(seconds: float | None) -> str:
    """A moment of a recording as people write it: 02:13, 1:02:13 past the hour."""
    whole = max(0, int(seconds or 0))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def window_words(seconds: float | None) -> str:
    """The opening searched: "3 分钟", "2 分 30 秒", "45 秒"."""
    whole = max(0, int(round(seconds or 0)))
    m, s = divmod(whole, 60)
    if m and s:
        return f"{m} 分 {s} 秒"
    return f"{m} 分钟" if m else f"{s} 秒"


def percent(confidence: float | None) -> str:
    return f"{round(100 * (confidence or 0))}%"


def result_words(check: NoticeCheck) -> str:
    """What the check found, in one short sentence: the mark's text, the score sheet's."""
    if check.outcome == NoticeOutcome.FOUND:
        return f"{moment(check.at_seconds)} 检测到告知语（置信度 {percent(check.confidence)}）"
    if check.outcome == NoticeOutcome.NOT_FOUND:
        return f"开头 {window_words(check.window_seconds)}未检测到告知语"
    if check.outcome == NoticeOutcome.NO_AUDIO:
        return "没有音轨，无法检查告知语"
    if check.outcome == NoticeOutcome.UNREADABLE:
        return "文件无法解码，未能检查告知语"
    return ""  # no references: nothing was listened for


def notice_marks(user, recording) -> list[Mark]:
    checks = NoticeCheck.objects.filter(
        recording=recording, activity__in=Activity.objects.visible_to(user)
    ).exclude(outcome=NoticeOutcome.NO_REFERENCES)
    marks = []
    for check in checks:
        at = check.at_seconds if check.outcome == NoticeOutcome.FOUND else 0.0
        marks.append(Mark(float(at or 0), "notice", result_words(check)))
    return marks
