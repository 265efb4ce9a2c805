"""What a file on a camera is, by its name: media kind, junk, and the GA/T 947 name fields (M1)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

from avrecords.lib import camera_files
from avrecords.lib.camera_files import compile_patterns, match_name
from avrecords.recordings.models import MediaKind

# the ingest reads these two from here
extension_of = camera_files.extension_of
junk_reason = camera_files.junk_reason


@dataclass(frozen=True)
class NameFields:
    """What a GA/T 947-style file name says about its recording."""

    device_serial: str
    officer_no: str
    started_at: dt.datetime
    segment_no: str


@lru_cache(maxsize=1)
def compiled_patterns() -> tuple[re.Pattern, ...]:
    return compile_patterns(settings.AVRECORDS_FILENAME_PATTERNS)


def media_kind_of(name: str) -> str | None:
    kind = camera_files.media_kind_of(name)
    return MediaKind(kind) if kind else None


def parse_name(name: str, tz: str | None = None) -> NameFields | None:
    """Fields from the file name, with the device's local time read in the configured zone."""
    match = match_name(name, compiled_patterns())
    if match is None:
        return None
    naive = dt.datetime.strptime(match["ts"], "%Y%m%d%H%M%S")
    started = naive.replace(tzinfo=ZoneInfo(tz or settings.TIME_ZONE))
    seq = match.groupdict().get("seq") or ""
    return NameFields(match["serial"].upper(), match["officer"], started, seq)


class UnsafeNameError(ValueError):
    """A file name that cannot be stored as given (path parts, control characters, bad encoding)."""


MAX_NAME_CHARS = 255


def check_upload_name(name: str) -> str:
    """Refuse names a browser or script should never send; the message is for users (Chinese)."""
    if not name or not name.strip():
        raise UnsafeNameError("文件名为空")
    if "\ufffd" in name or any(0xDC80 <= ord(ch) <= 0xDCFF for ch in name):
        raise UnsafeNameError("文件名不是有效的 UTF-8 编码")
    if "/" in name or "\\" in name:
        raise UnsafeNameError("文件名不能包含路径分隔符（/ 或 \\）")
    if ".." in name:
        raise UnsafeNameError("文件名不能包含“..”")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UnsafeNameError("文件名包含控制字符")
    if len(name) > MAX_NAME_CHARS:
        raise UnsafeNameError(f"文件名过长（超过 {MAX_NAME_CHARS} 个字符）")
    return unicodedata.normalize("NFC", name)
