"""The notice check's result beside a score sheet's notice item (U5, S2; 000§12, 001§11,
002§10, 003§9, 004§13): "系统检测：02:13 检测到告知语（置信度 87%），请复核" next to the
profile's `notice.checklist_item`, and "02:13 检测到告知语" offered in the checked recording's
timed notes. Only offered: the item's verdict and the score stay the reviewer's, the system
ticks nothing (a missed notice is never a violation by itself)."""

from __future__ import annotations

from dataclasses import dataclass

from avrecords.compliance.models import NoticeCheck, NoticeOutcome
from avrecords.compliance.notice_marks import moment, percent, window_words
from avrecords.policies.services import profile_for_unit
from avrecords.supervision.campaigns import profile_of
from avrecords.supervision.models import Sample


@dataclass(frozen=True)
class NoticeHint:
    item_code: str  # the checklist item it sits beside
    text: str  # what the system found, for the reviewer to check
    recording_id: int  # the recording that was listened to
    note: str = ""  # a timed note offered for that recording ("02:13 检测到告知语")


def _said(check: NoticeCheck) -> tuple[str, str]:
    if check.outcome == NoticeOutcome.FOUND:
        at = moment(check.at_seconds)
        return (
            f"系统检测：{at} 检测到告知语（置信度 {percent(check.confidence)}），请复核",
            f"{at} 检测到告知语",
        )
    window = window_words(check.window_seconds)
    if check.outcome == NoticeOutcome.NOT_FOUND:
        return f"系统未在开头 {window}检测到告知语，请听录音复核", ""
    if check.outcome == NoticeOutcome.NO_AUDIO:
        return "系统检测：首个音像记录没有音轨，无法确认是否告知，请复核", ""
    if check.outcome == NoticeOutcome.UNREADABLE:
        return "系统检测：首个音像记录无法解码，未能检查告知语，请复核", ""
    return "系统未检测告知语：尚未配置告知语参考录音", ""


def for_sample(sample: Sample) -> NoticeHint | None:
    """What to show beside the notice item of this sample's checklist; None when the profile
    names no such item or the activity was not checked."""
    profile = profile_of(sample.campaign) or profile_for_unit(sample.unit)
    code = profile.notice.checklist_item if profile is not None else None
    if not code:
        return None
    check = NoticeCheck.objects.filter(activity_id=sample.activity_id).first()
    if check is None:
        return None
    text, note = _said(check)
    return NoticeHint(code, text, check.recording_id, note)
