"""Scoring a sampled activity (S2: 001§26, 004§22) on the profile's checklist.

A reviewer is a supervisor whose scope holds the activity's unit and who was not one of its
officers (nobody reviews his own work). Each checklist item is passed or failed, with an
optional note; the total is the share passed, 100 × passed / items, to one decimal. Timed
notes point into the activity's recordings ("02:13 未告知"): the moment must lie within the
recording. Scores can be revised while the campaign is open; each save is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from avrecords.audit import services as audit
from avrecords.compliance.models import ActivityRecording, Finding
from avrecords.lib.refusals import Invalid
from avrecords.org.models import Role
from avrecords.org.scope import in_unit_scope
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording
from avrecords.supervision.campaigns import profile_of
from avrecords.supervision.models import CampaignStatus, Sample, Score, ScoreNote

if TYPE_CHECKING:
    from avrecords.policies.schema import Reason

MAX_NOTE_CHARS = 300
MAX_NOTES_PER_SCORE = 200
TIME_RE = re.compile(r"^(?:(\d{1,2}):([0-5]\d):([0-5]\d)|(\d{1,3}):([0-5]\d))$")
NOT_OWN = "不能评查本人参与的执法活动"


class ScoreError(Invalid, ValueError):
    """A score that cannot be saved (422); `errors` are Chinese, every reason at once."""

    api_prefix = "未办理："

    def __init__(self, message: str | list[str]):
        self.errors = list(message) if isinstance(message, list) else [message]
        super().__init__(reasons=self.errors)


# --- who may ---------------------------------------------------------------------------------


def can_score(user) -> bool:
    """Reviewers are supervisors (监督人员)."""
    return user.is_authenticated and user.is_active and user.role == Role.SUPERVISOR


def refusal(user, sample: Sample) -> str | None:
    """Why the user may not score this sample (None: he may)."""
    if not can_score(user):
        return "无权评分：仅监督人员"
    if not in_unit_scope(user, sample.unit):
        return "无权评分：该执法活动不在您的监督范围内"
    if sample.activity.officers.filter(pk=user.pk).exists():
        return f"无权评分：{NOT_OWN}"
    return None


def may_score(user, sample: Sample) -> bool:
    return refusal(user, sample) is None


# --- what the page shows ---------------------------------------------------------------------


def checklist(sample: Sample) -> list[Reason]:
    """The campaign's profile's checklist (the activity's unit's if that profile is gone)."""
    profile = profile_of(sample.campaign) or profile_for_unit(sample.unit)
    return list(profile.supervision.checklist) if profile is not None else []


def findings(sample: Sample):
    """What the compliance engine found about the activity, for the reviewer to weigh."""
    return Finding.objects.filter(activity_id=sample.activity_id).order_by("opened_at", "pk")


def recordings(user, sample: Sample):
    """The activity's recordings (not hand-unlinked) that the user may see."""
    linked = ActivityRecording.objects.filter(
        activity_id=sample.activity_id, excluded=False
    ).values("recording_id")
    return Recording.objects.visible_to(user).filter(pk__in=linked).order_by("started_at", "pk")


# --- times into a recording --------------------------------------------------------------


def parse_time(text: str) -> int:
    """ "02:13" (mm:ss) or "1:02:13" (hh:mm:ss) → seconds; a full-width colon is accepted."""
    value = (text or "").strip().replace("：", ":")
    found = TIME_RE.match(value)
    if found is None:
        raise ScoreError(f"无法识别的时间点“{text}”：应为 分:秒 或 时:分:秒，如 02:13 或 1:02:13")
    h, m, s, mm, ss = found.groups()
    if h is not None:
        return int(h) * 3600 + int(m) * 60 + int(s)
    return int(mm) * 60 + int(ss)


def format_time(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


@dataclass(frozen=True)
class NoteInput:
    recording_id: int
    at: str  # "02:13" or "1:02:13"
    text: str


def parse_note_lines(recording_id: int, text: str) -> list[NoteInput]:
    """A text box of lines "02:13 未告知" → notes (times checked when the score is saved)."""
    notes = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        at, _, remark = line.replace("\u3000", " ").partition(" ")
        notes.append(NoteInput(recording_id, at, remark.strip()))
    return notes


def total(passed: int, items: int) -> float:
    """100 × passed / items, rounded half up to one decimal (4 of 5 → 80.0, 2 of 3 → 66.7)."""
    if items <= 0:
        return 0.0
    share = Decimal(100 * passed) / Decimal(items)
    return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- saving ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreInput:
    passed: dict[str, bool | None]  # checklist code → passed / failed / not judged (None)
    item_notes: dict[str, str]
    comment: str = ""
    notes: tuple[NoteInput, ...] = ()


def _notes(user, sample: Sample, notes) -> tuple[list[tuple[Recording, int, str]], list[str]]:
    shown = {r.pk: r for r in recordings(user, sample)}
    rows, errors = [], []
    if len(notes) > MAX_NOTES_PER_SCORE:
        return [], [f"时间点备注最多 {MAX_NOTES_PER_SCORE} 条"]
    for note in notes:
        recording = shown.get(note.recording_id)
        if recording is None:
            errors.append(f"音像记录 {note.recording_id} 不属于本次执法活动或不在您的权限范围内")
            continue
        try:
            at = parse_time(note.at)
        except ScoreError as exc:
            errors.append(f"{recording.original_name}：{exc}")
            continue
        if at > recording.duration_seconds:
            errors.append(
                f"{recording.original_name}：时间点 {format_time(at)} 超出该音像记录的时长"
                f"（{format_time(recording.duration_seconds)}）"
            )
        if not note.text.strip():
            errors.append(
                f"{recording.original_name}：时间点 {note.at} 后请写明问题，如“02:13 未告知”"
            )
        elif len(note.text.strip()) > MAX_NOTE_CHARS:
            errors.append(f"{recording.original_name}：备注过长（最多 {MAX_NOTE_CHARS} 个字符）")
        rows.append((recording, at, note.text.strip()))
    return rows, errors


def check(user, sample: Sample, data: ScoreInput) -> tuple[list[dict], list, list[str]]:
    """(the items as stored, the timed notes, every reason the score cannot be saved)."""
    errors = []
    items = checklist(sample)
    if not items:
        errors.append(f"“{sample.unit.name}”未配置执法音像记录规定，没有评查项目")
    known = {item.code for item in items}
    if unknown := sorted(set(data.passed) - known):
        errors.append("不是本次评查的项目：" + "、".join(unknown))
    stored = []
    for item in items:
        passed = data.passed.get(item.code)
        if passed is None:
            errors.append(f"请判定“{item.name}”是否符合要求")
        note = (data.item_notes.get(item.code) or "").strip()
        if len(note) > MAX_NOTE_CHARS:
            errors.append(f"“{item.name}”的说明过长（最多 {MAX_NOTE_CHARS} 个字符）")
        stored.append(
            {
                "code": item.code,
                "name": item.name,
                "cite": item.cite,
                "passed": passed,
                "note": note,
            }
        )
    notes, note_errors = _notes(user, sample, data.notes)
    return stored, notes, errors + note_errors


def score_sample(actor, sample: Sample, data: ScoreInput, *, ip: str = "") -> Score:
    if why := refusal(actor, sample):
        raise PermissionError(why)
    if sample.campaign.status != CampaignStatus.SCORING:
        raise ScoreError(f"本次抽查{sample.campaign.get_status_display()}，不能评分")
    stored, notes, errors = check(actor, sample, data)
    if errors:
        raise ScoreError(errors)
    passed = sum(1 for item in stored if item["passed"])
    value = total(passed, len(stored))
    with transaction.atomic():
        before = Score.objects.select_for_update().filter(sample=sample).first()
        score, _ = Score.objects.update_or_create(
            sample=sample,
            defaults={
                "reviewer": actor,
                "items": stored,
                "total": value,
                "comment": data.comment.strip(),
            },
        )
        score.notes.all().delete()
        ScoreNote.objects.bulk_create(
            ScoreNote(score=score, recording=recording, at_seconds=at, text=text)
            for recording, at, text in notes
        )
        failed = [item["code"] for item in stored if not item["passed"]]
        audit.record(
            "supervision.score",
            actor=actor,
            obj=sample,
            summary=f"{sample.campaign.number} 评分：{sample.activity} 得分 {value:g}"
            + (f"（修改前 {before.total:g}）" if before else ""),
            detail={
                "total": value,
                "passed": passed,
                "items": len(stored),
                "failed": failed,
                "notes": [[r.pk, at, text] for r, at, text in notes],
                "before": before.total if before else None,
            },
            ip=ip,
        )
    return score
