"""A redacted copy's settings said in words, as the pages show them (000§19, 001§25, 003§14,
004§21; M2: the copy's lineage on the recording's page), in the pages and the audit trail.
No rule lives here."""

from __future__ import annotations

from avrecords.lib.quantities import clock
from avrecords.redaction.models import RUNNING_STATES, AudioMode, Style, Target

# The models' choices are the one place these words live.
TARGETS = dict(Target.choices)
STYLES = dict(Style.choices)
SOUNDS = dict(AudioMode.choices)
RUNNING = tuple(RUNNING_STATES)  # the page polls while the job works


def targets(values) -> str:
    return "、".join(TARGETS.get(v, v) for v in values or []) or "—"


def segment(start_seconds, end_seconds) -> str:
    start = float(start_seconds or 0)
    if not start and end_seconds is None:
        return "全程"
    end = "结束" if end_seconds is None else clock(end_seconds)
    return f"{clock(start)}–{end}"


def sounds(ranges) -> str:
    """[[from, to, action], ...] → "00:00:05–00:00:09 静音；…" (or 声音保留)."""
    parts = [f"{clock(a)}–{clock(b)} {SOUNDS.get(how, how)}" for a, b, how in ranges or []]
    return "；".join(parts) or "声音全部保留"


def settings_of(redaction) -> list[tuple[str, str]]:
    """(label, words) rows of a copy's settings."""
    return [
        ("遮盖内容", targets(redaction.targets)),
        ("方式", STYLES.get(redaction.style, redaction.style)),
        ("时间段", segment(redaction.start_seconds, redaction.end_seconds)),
        ("声音处理", sounds(redaction.audio_ranges)),
    ]


def eta(seconds) -> str:
    """预计剩余 N 分钟 (under a minute: 不到 1 分钟); "" when unknown."""
    if seconds is None:
        return ""
    minutes = round(float(seconds) / 60)
    return "预计剩余不到 1 分钟" if minutes < 1 else f"预计剩余 {minutes} 分钟"


def percent(progress) -> int:
    return max(0, min(100, round(100 * float(progress or 0))))


def summary(redaction) -> str:
    """One line for the audit trail: 遮盖人脸（模糊），全程，声音全部保留."""
    style = STYLES.get(redaction.style, redaction.style)
    return (
        f"遮盖{targets(redaction.targets)}（{style}），"
        f"{segment(redaction.start_seconds, redaction.end_seconds)}，{sounds(redaction.audio_ranges)}"
    )
