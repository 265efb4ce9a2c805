"""What a file on a body camera is, by its name alone: media kind, junk, GA/T 947 fields (M1).

Pure and free of Django, so the station agent (`avrecords.agent`, issue 19 §2) reads a
docked camera with the very rules the platform's ingest applies
(`recordings.naming` builds on this module with the configured patterns and time zone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# extension → media kind (the values of recordings.models.MediaKind)
MEDIA_EXTENSIONS = {
    "mp4": "video",
    "mov": "video",
    "avi": "video",
    "ts": "video",
    "jpg": "photo",
    "jpeg": "photo",
    "png": "photo",
    "wav": "audio",
    "mp3": "audio",
    "aac": "audio",
    "amr": "audio",
    "m4a": "audio",
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

# What `--erase-after-verify` notes on a file's result (the ingest and the station agent).
ERASED_FROM_DEVICE = "已复核入库副本并从设备删除"
KEPT_ON_DEVICE = "入库副本复核未通过，设备文件保留"


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern, ...]:
    """The given patterns, then the defaults; each must name serial, officer and ts."""
    compiled = []
    for pattern in [*patterns, *DEFAULT_PATTERNS]:
        regex = re.compile(pattern)
        missing = {"serial", "officer", "ts"} - set(regex.groupindex)
        if missing:
            raise ValueError(f"filename pattern {pattern!r} lacks groups {sorted(missing)}")
        compiled.append(regex)
    return tuple(compiled)


def match_name(name: str, patterns: Iterable[re.Pattern]) -> re.Match | None:
    """The first pattern matching the name's stem whose timestamp is a real time."""
    import datetime as dt

    stem = name.rsplit(".", 1)[0]
    for regex in patterns:
        match = regex.match(stem)
        if not match:
            continue
        try:
            dt.datetime.strptime(match["ts"], "%Y%m%d%H%M%S")
        except ValueError:
            continue
        return match
    return None


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
    return MEDIA_EXTENSIONS.get(extension_of(name))
