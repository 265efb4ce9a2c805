"""The Chinese word for every code the program keeps (issue 17 §7): users read Chinese only.

Codes stay in the database, the audit chain, logs and the API (`recording.view`,
`compliance.evaluate`, `unit_head`, …); pages show their label. Each app declares the labels of
the codes it defines in its own `labels.py`, beside the code:

    # avrecords/recordings/labels.py
    from avrecords.lib import labels

    labels.register(labels.ACTION, {"recording.view": "查看音像记录", …})
    labels.register(labels.JOB, {"media.proxy": "生成播放版本", …})

The registry sits at the bottom and names no app: the first look-up imports every installed
app's `labels` module by name, as Django's admin finds `admin.py` (`autodiscover_modules`), so
no lower module imports a higher one. A code nobody declared is shown as the kind's generic word
("其他操作", "后台任务", …) and logged once, in English, so the missing label gets added; the
code itself never reaches a page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)

# The kinds of code, each with the word shown when a code has no label.
ACTION = "action"  # audit entries' actions: recording.view
JOB = "job"  # background jobs and periodic steps: compliance.evaluate
ROLE = "role"  # roles as profiles and approval chains name them: unit_head
FORMAT = "format"  # media containers as the probe names them: mov,mp4,m4a…, jpeg_pipe
CODEC = "codec"  # video and audio codecs as the probe names them: h264, pcm_s16le
OBJECT = "object"  # model labels in audit entries: recordings.recording
PROFILE = (
    "profile"  # policy profiles (agencies): tongbai → 桐柏县市场监督管理局, found in the database
)
FALLBACK: dict[str, str] = {
    ACTION: "其他操作",
    JOB: "后台任务",
    ROLE: "其他人员",
    FORMAT: "其他格式",
    CODEC: "其他编码",
    OBJECT: "其他对象",
    PROFILE: "适用的执法策略",
}
GENERIC = "其他"

_labels: dict[str, dict[str, str]] = {}
_lookups: dict[str, Callable[[str], str | None]] = {}
_warned: set[tuple[str, str]] = set()
_discovered = False
_lock = threading.Lock()


def register(kind: str, labels: Mapping[str, str]) -> None:
    """Declare the Chinese labels of some codes of `kind`; a code declared twice with two
    different words is a mistake (the page would depend on import order)."""
    known = _labels.setdefault(kind, {})
    for code, word in labels.items():
        if known.get(code, word) != word:
            raise ValueError(f"label of {kind} {code!r} declared twice: {known[code]!r}, {word!r}")
        known[code] = word


def register_lookup(kind: str, find: Callable[[str], str | None]) -> None:
    """For codes kept as data (a profile's code), a function that finds the label, or None."""
    _lookups[kind] = find


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if not _discovered:
            from django.utils.module_loading import autodiscover_modules

            autodiscover_modules("labels")
            _discovered = True


def get(kind: str, code: str | None, default: str | None = None) -> str:
    """The label of `code`; for an unknown code `default` or the kind's generic word, never the
    code (logged once so the label gets declared)."""
    if code is None or code == "":
        return ""
    _discover()
    word = _labels.get(kind, {}).get(code)
    if word is None and kind in _lookups:
        word = _lookups[kind](code)
    if word is not None:
        return word
    if (kind, code) not in _warned:
        _warned.add((kind, code))
        logger.warning("no Chinese label for %s code %r: shown as a generic word", kind, code)
    return default if default is not None else FALLBACK.get(kind, GENERIC)


def worker(worker_id: str | None) -> str:
    """A background process as people know it: "后台处理进程（host）", not the id the job
    claims carry (`jobs.services.worker_id()`: "host:pid:thread")."""
    if not worker_id:
        return "—"
    host = worker_id.split(":", 1)[0]
    return f"后台处理进程（{host}）" if host else "后台处理进程"


def known(kind: str) -> dict[str, str]:
    """Every declared code of `kind` and its label (for tests and choice lists)."""
    _discover()
    return dict(_labels.get(kind, {}))
