"""What a request for a redacted copy must say, checked before anything is stored (issue 21
§2, §4): something to hide, a way to hide it, a segment within the file and no longer than
one copy may cover (AVRECORDS_REDACTION_MAX_SECONDS), sound ranges inside the segment that do
not overlap, a purpose. Every reason is Chinese; the refusal names its field."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from avrecords.lib.quantities import duration
from avrecords.lib.refusals import Invalid
from avrecords.recordings.models import MediaKind, Recording
from avrecords.redaction.models import AudioMode, Style, Target

NO_VIDEO = "该文件没有视频画面，无法脱敏"
PURGED = "该记录的原始文件已按保存期限清除，无法制作脱敏副本"
# A stretch the decoder reports a little short or long is not the person's mistake.
END_TOLERANCE_SECONDS = 0.5


@dataclass(frozen=True)
class Asked:
    targets: list[str]
    style: str
    audio_ranges: list[list]
    start_seconds: float
    end_seconds: float | None
    purpose: str


def max_seconds() -> int:
    return int(settings.AVRECORDS_REDACTION_MAX_SECONDS)


def has_video(recording: Recording) -> bool:
    return recording.media_kind == MediaKind.VIDEO and bool(
        recording.video_codec or recording.width
    )


def _number(value, field: str, errors: dict[str, str], name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[field] = f"{name}应为秒数"
        return None
    if not math.isfinite(number) or number < 0:
        errors[field] = f"{name}应为不小于 0 的秒数"
        return None
    return number


def _segment(recording, start, end, errors) -> tuple[float, float | None]:
    length = recording.duration_seconds or 0.0
    start_s = _number(start, "start_seconds", errors, "起点") or 0.0
    end_s = _number(end, "end_seconds", errors, "终点")
    if errors:
        return start_s, end_s
    if length and start_s >= length:
        errors["start_seconds"] = f"起点超出记录时长（{duration(length)}）"
    elif end_s is not None and end_s <= start_s:
        errors["end_seconds"] = "终点应晚于起点"
    elif end_s is not None and length and end_s > length + END_TOLERANCE_SECONDS:
        errors["end_seconds"] = f"终点超出记录时长（{duration(length)}）"
    if errors:
        return start_s, end_s
    if end_s is not None and length and end_s >= length:
        end_s = None  # to the end
    covered = (end_s if end_s is not None else length) - start_s
    limit = max_seconds()
    if covered > limit + END_TOLERANCE_SECONDS:
        chosen = start_s > 0 or end_s is not None
        field = "end_seconds" if chosen else "segment"
        errors[field] = (
            f"所选时间段超过 {duration(limit)}，请缩短（不超过 {duration(limit)}）"
            if chosen
            else f"该记录时长超过 {duration(limit)}，"
            f"请选择需要提供的时间段（不超过 {duration(limit)}）"
        )
    return start_s, end_s


def _audio(ranges, start_s: float, end_s: float, errors) -> list[list]:
    cleaned: list[list] = []
    for number, item in enumerate(ranges or [], start=1):
        try:
            begin, finish, mode = item
            begin, finish = float(begin), float(finish)
        except (TypeError, ValueError):
            errors["audio_ranges"] = f"第 {number} 段声音处理的时间无效"
            return []
        if mode not in AudioMode.values:
            errors["audio_ranges"] = f"第 {number} 段声音处理方式应为静音或变声"
            return []
        if not (math.isfinite(begin) and math.isfinite(finish)) or finish <= begin:
            errors["audio_ranges"] = f"第 {number} 段声音处理的结束时间应晚于开始时间"
            return []
        if begin < start_s - 1e-6 or finish > end_s + END_TOLERANCE_SECONDS:
            errors["audio_ranges"] = f"第 {number} 段声音处理超出所选时间段"
            return []
        cleaned.append([begin, min(finish, end_s), mode])
    cleaned.sort()
    for before, after in zip(cleaned, cleaned[1:], strict=False):
        if after[0] < before[1]:
            errors["audio_ranges"] = "声音处理的时间段相互重叠，请合并后再提交"
            return []
    return cleaned


def check(
    recording: Recording,
    *,
    targets,
    style,
    audio_ranges,
    start_seconds,
    end_seconds,
    purpose,
) -> Asked:
    """The request as it will be stored, or Invalid with every reason by field."""
    if not has_video(recording):
        raise Invalid(NO_VIDEO)
    if recording.purged_at is not None:
        raise Invalid(PURGED)
    errors: dict[str, str] = {}
    chosen = [t for t in Target.values if t in set(targets or ())]
    if not chosen or len(chosen) != len(set(targets or ())):
        errors["targets"] = (
            "请选择需要遮盖的内容（人脸，车牌、证件及屏幕文字，或除标记人员外的全部画面）"
        )
    if style not in Style.values:
        errors["style"] = "请选择遮盖方式（模糊或纯色遮盖）"
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = "请填写用途（例如：提供给当事人、人民法院）"
    elif len(purpose) > 300:
        errors["purpose"] = "用途不能超过 300 字"
    start_s, end_s = _segment(recording, start_seconds, end_seconds, errors)
    ranges: list[list] = []
    if not {"start_seconds", "end_seconds"} & set(errors):
        last = end_s if end_s is not None else (recording.duration_seconds or 0.0)
        ranges = _audio(audio_ranges, start_s, last, errors)
    if errors:
        raise Invalid(fields=errors)
    return Asked(chosen, style, ranges, start_s, end_s, purpose)
