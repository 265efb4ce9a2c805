"""What a file on a camera is, by its name: media kind, junk, and the GA/T 947 name fields (M1)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

from avrecords.recordings.models import MediaKind

EXTENSIONS = {
    "mp4": MediaKind.VIDEO,
    "mov": MediaKind.VIDEO,
    "avi": MediaKind.VIDEO,
    "ts": MediaKind.VIDEO,
    "jpg": MediaKind.PHOTO,
    "jpeg": MediaKind.PHOTO,
    "png": MediaKind.PHOTO,
    "wav": MediaKind.AUDIO,
    "mp3": MediaKind.AUDIO,
    "aac": MediaKind.AUDIO,
    "amr": MediaKind.AUDIO,
    "m4a": MediaKind.AUDIO,
}
JUNK_NAMES = {
    "thumbs.db": "系统缩略图数据库",
    "desktop.ini": "系统配置文件",
    ".ds_store": "系统文件",
}
JUNK_DIRS = {
    "system volume information",
    ".trashes",
    ".spotlight-v100",
    ".fseventsd",
    "$recycle.bin",
}
JUNK_EXTENSIONS = {
    "log": "设备日志文件",
    "bin": "固件文件",
    "img": "固件文件",
    "upd": "固件文件",
    "dat": "设备数据文件",
    "ini": "配置文件",
    "cfg": "配置文件",
    "txt": "文本文件",
    "db": "数据库文件",
    "tmp": "临时文件",
    "thm": "缩略图文件",
    "lrv": "低码率预览文件",
}

# <device serial>_<officer no>_<YYYYMMDDhhmmss>_<seq>; vendors differ in separators and case.
DEFAULT_PATTERNS = [
    r"^(?P<serial>[A-Za-z0-9]{5,20})_(?P<officer>[A-Za-z0-9]{1,20})_(?P<ts>\d{14})_(?P<seq>\d{1,6})$",
    r"^(?P<serial>[A-Za-z0-9]{5,20})-(?P<officer>[A-Za-z0-9]{1,20})-(?P<ts>\d{14})-(?P<seq>\d{1,6})$",
    r"^(?P<serial>[A-Za-z0-9]{5,20})_(?P<officer>[A-Za-z0-9]{1,20})_(?P<ts>\d{14})$",
]


@dataclass(frozen=True)
class NameFields:
    """What a GA/T 947-style file name says about its recording."""

    device_serial: str
    officer_no: str
    started_at: dt.datetime
    segment_no: str


@lru_cache(maxsize=1)
def compiled_patterns() -> tuple[re.Pattern, ...]:
    patterns = list(settings.AVRECORDS_FILENAME_PATTERNS) + DEFAULT_PATTERNS
    compiled = []
    for pattern in patterns:
        regex = re.compile(pattern)
        missing = {"serial", "officer", "ts"} - set(regex.groupindex)
        if missing:
            raise ValueError(f"filename pattern {pattern!r} lacks groups {sorted(missing)}")
        compiled.append(regex)
    return tuple(compiled)


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def junk_reason(relative_path: str) -> str | None:
    """Why a file is system junk to skip, or None if it is not junk."""
    parts = relative_path.replace("\\", "/").split("/")
    name = parts[-1]
    if any(part.lower() in JUNK_DIRS for part in parts[:-1]):
        return "系统目录中的文件"
    if name.startswith("._"):
        return "macOS 资源分叉文件"
    if name.lower() in JUNK_NAMES:
        return JUNK_NAMES[name.lower()]
    ext = extension_of(name)
    if ext in JUNK_EXTENSIONS:
        return JUNK_EXTENSIONS[ext]
    return None


def media_kind_of(name: str) -> str | None:
    return EXTENSIONS.get(extension_of(name))


def parse_name(name: str, tz: str | None = None) -> NameFields | None:
    """Fields from the file name, with the device's local time read in the configured zone."""
    stem = name.rsplit(".", 1)[0]
    for regex in compiled_patterns():
        match = regex.match(stem)
        if not match:
            continue
        try:
            naive = dt.datetime.strptime(match["ts"], "%Y%m%d%H%M%S")
        except ValueError:
            continue
        started = naive.replace(tzinfo=ZoneInfo(tz or settings.TIME_ZONE))
        seq = match.groupdict().get("seq") or ""
        return NameFields(match["serial"].upper(), match["officer"], started, seq)
    return None


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
