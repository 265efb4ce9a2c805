"""The profile's `notice` section (U5: the notice that the activity is recorded, checked by
listening; issue 20). See `policies.schema`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from avrecords.policies.schema_base import Cited, Code, Name, Strict

NOTICE_SENTENCE = "为保护您的合法权益，监督我们的执法行为，本次执法全程录音录像"


class NoticeAnswer(Strict):
    """What an officer may answer when the platform heard no notice (U5)."""

    code: Code
    name: Name


class Notice(Cited):
    """U5: the officer tells the party that the activity is being recorded (000§12, 001§11,
    002§10, 003§9, 004§13). The platform listens to the opening `window_minutes` of the first
    recording of each activity that must be recorded, against the agency's reference
    recordings of the notice (`compliance.notice_check`); a match counts when its confidence
    (0–1) is at least `min_confidence`. `phrases` are the keywords of a recognizer the agency
    may install (AVRECORDS_NOTICE_KWS_MODEL). A missed notice is a finding the officer answers
    with one of `answers` and `reviewed_by` confirms or dismisses (approvals decision
    ``notice.review``); never a violation by itself. `checklist_item` is the supervision
    checklist item the system's result pre-fills on a score sheet."""

    window_minutes: int = Field(3, gt=0, le=30)
    min_confidence: float = Field(0.5, gt=0, lt=1)
    phrases: list[Annotated[str, Field(min_length=2, max_length=100)]] = Field(
        default_factory=lambda: [NOTICE_SENTENCE, "本次执法全程录音录像", "正在录音录像"],
        min_length=1,
    )
    checklist_item: Code | None = None
    reviewed_by: str = "unit_head"
    answers: list[NoticeAnswer] = Field(
        default_factory=lambda: [
            NoticeAnswer(code="other_device", name="告知在另一台设备上录制"),
            NoticeAnswer(code="oral_not_recorded", name="口头告知未录入"),
            NoticeAnswer(code="no_party", name="现场无当事人或当事人拒不到场"),
            NoticeAnswer(code="other", name="其他原因"),
        ],
        min_length=1,
    )

    def answer(self, code: str) -> NoticeAnswer | None:
        return next((a for a in self.answers if a.code == code), None)


NOTICE_NOTE = "规定要求事先告知当事人正在录音录像；检查哪一段由平台设定：必须记录的执法活动首个音像记录的开头3分钟"
