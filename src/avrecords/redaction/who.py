"""Who may ask for, review and sign off a redacted copy (issue 21 §3): the one rule.

A redacted copy is a copy that will leave the system (000§19, 001§25, 003§14, 004§21; M3,
M8), so the people who make it are those who carry out copies of the recording's unit: the
profile's executor role for copies (`approvals.copy.executed_by`, or the chain of 提供脱敏副本
where the profile has one), over the recording's unit by the scope rule, and cleared for its
confidentiality mark (M9). They must see the recording itself, and never act on the release of
their own recordings (an officer does not prepare his own footage for a party or a court).
The approvals engine says whether a person holds the role over the unit
(`access.copy.carry_out`); pages, services and the API ask `why_not` / `may_request` /
`may_review` here and nowhere else.
"""

from __future__ import annotations

from avrecords.org.scope import cleared_for
from avrecords.policies import approvals
from avrecords.policies.approvals import Step
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

OWN_RECORDING = "不能对本人的音像记录制作或提供脱敏副本"
NO_UNIT = "该记录尚未指派单位，无法确定办理人"


def executor_role(recording: Recording) -> str:
    """The role that carries out copies for the recording's unit ("" without a profile)."""
    profile = profile_for_unit(recording.unit)
    if profile is None:
        return ""
    try:
        chain = profile.approvals.chain("redacted")
    except ValueError:  # a profile schema without its own chain: the copy chain
        chain = profile.approvals.chain("copy")
    return chain.executed_by or profile.approvals.chain("copy").executed_by


def why_not(user, recording: Recording) -> str | None:
    """Why the person may not ask for or review a redacted copy of the recording (Chinese),
    None when he may."""
    if not getattr(user, "is_authenticated", False):
        return "请先登录"
    if user.pk in (recording.officer_id, recording.keeper_id):
        return OWN_RECORDING
    if recording.unit_id is None:
        return NO_UNIT
    if not Recording.objects.visible_to(user).filter(pk=recording.pk).exists():
        return "该记录不在您的管辖或知悉范围内"
    if recording.secrecy and not cleared_for(user, recording.secrecy):
        return "该记录不在您的管辖或知悉范围内"
    role = executor_role(recording)
    step = Step(
        unit=recording.unit,
        decision="access.copy.carry_out",
        concerned_id=recording.officer_id,
        marks=frozenset({recording.secrecy} - {""}),
        roles=(role,) if role else None,
    )
    why = approvals.why_not(user, step)
    return str(why) if why else None


def may_request(user, recording: Recording) -> bool:
    return why_not(user, recording) is None


def may_review(user, redaction) -> bool:
    """Review the tracks, render again, cancel, play the copy, sign it off: the same people."""
    return why_not(user, redaction.recording) is None
