"""The 申请脱敏副本 form read from a POST: what to hide, how, which stretch, which sounds to
mute or distort, and why (000§19, 001§25, 003§14, 004§21). It only reads what was typed —
times as 时:分:秒, 分:秒 or seconds — and says in Chinese what cannot be read; the rules
(a stretch inside the recording, the longest copy) are `services.request`'s."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from avrecords.lib.quantities import clock
from avrecords.redaction.words import SOUNDS, STYLES, TARGETS

PURPOSE_MAX_CHARS = 300  # Redaction.purpose
AUDIO_ROWS_MAX = 20
BAD_TIME = "时间格式应为 时:分:秒，例如 00:01:30"


def seconds_of(text: str) -> float | None:
    """'01:02:03', '2:03' or '123.5' → seconds; None when it is none of these. Raises
    ValueError for something that is not a time."""
    text = (text or "").strip().replace("：", ":")
    if not text:
        return None
    parts = text.split(":")
    if len(parts) > 3 or any(not p.strip() for p in parts):
        raise ValueError(text)
    total = 0.0
    for i, part in enumerate(parts):
        value = float(part)
        if not math.isfinite(value) or value < 0 or (i > 0 and value >= 60):
            raise ValueError(text)
        total = total * 60 + value
    return total


@dataclass
class RequestForm:
    """What the form holds (`values`, to show again) and what it asks of the service."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    asked: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def blank() -> RequestForm:
    return RequestForm(
        values={
            "targets": ["faces", "text"],
            "style": "blur",
            "start": "",
            "end": "",
            "audio": [],
            "purpose": "",
        }
    )


def _time(form: RequestForm, name: str, text: str) -> float | None:
    try:
        return seconds_of(text)
    except ValueError:
        form.errors.setdefault(name, BAD_TIME)
        return None


def read(post) -> RequestForm:
    targets = [t for t in post.getlist("targets") if t in TARGETS]
    style = post.get("style", "")
    froms, tos, hows = (post.getlist(n) for n in ("audio_from", "audio_to", "audio_action"))
    rows = [
        {"from": a.strip(), "to": b.strip(), "action": how}
        for a, b, how in zip(froms, tos, hows + ["mute"] * len(froms), strict=False)
        if a.strip() or b.strip()
    ]
    form = RequestForm(
        values={
            "targets": targets,
            "style": style,
            "start": post.get("start", "").strip(),
            "end": post.get("end", "").strip(),
            "audio": rows,
            "purpose": post.get("purpose", "").strip(),
        }
    )
    if not targets:
        form.errors["targets"] = "请至少选择一种遮盖内容"
    if style not in STYLES:
        form.errors["style"] = "请选择遮盖方式"
    start = _time(form, "start", form.values["start"]) or 0.0
    end = _time(form, "end", form.values["end"])
    if end is not None and end <= start and "end" not in form.errors:
        form.errors["end"] = "结束时间应晚于开始时间"
    ranges = []
    if len(rows) > AUDIO_ROWS_MAX:
        form.errors["audio"] = f"声音处理最多 {AUDIO_ROWS_MAX} 段"
    for row in rows:
        a = _time(form, "audio", row["from"])
        b = _time(form, "audio", row["to"])
        if "audio" in form.errors:
            break
        if a is None or b is None:
            form.errors["audio"] = "每段声音处理都要填写起止时间"
        elif b <= a:
            form.errors["audio"] = f"声音处理 {clock(a)} 起的一段：结束时间应晚于开始时间"
        elif row["action"] not in SOUNDS:
            form.errors["audio"] = "请选择静音或变声"
        else:
            ranges.append([a, b, row["action"]])
            continue
        break
    purpose = form.values["purpose"]
    if not purpose:
        form.errors["purpose"] = "请填写用途，例如提供给当事人或人民法院"
    elif len(purpose) > PURPOSE_MAX_CHARS:
        form.errors["purpose"] = f"用途不能超过 {PURPOSE_MAX_CHARS} 个字"
    form.asked = {
        "targets": targets,
        "style": style,
        "audio_ranges": ranges,
        "start_seconds": start,
        "end_seconds": end,
        "purpose": purpose,
    }
    return form
