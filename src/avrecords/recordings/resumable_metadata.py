"""The tus `Upload-Metadata` header of a resumable upload, parsed strictly (issue 19 §3, X4).

The header is `key base64value,key base64value`: each value base64 (RFC 4648, padded) of
UTF-8 text. What may be sent:

| key | value |
|---|---|
| `filename` (required) | the file's name, checked like an uploaded file's (`check_upload_name`) |
| `relative_path` | where the file lay on the camera (`DCIM/100MEDIA/…`), shown as its path |
| `serial` | the camera's serial number (a station's upload) |
| `sha256` | 64 hex digits: the whole file's SHA-256, checked when the last byte arrives |
| `mtime` | ISO 8601: the file's modification time on the camera |
| `camera_clock_offset` | seconds, camera minus station |

Other keys (tus-js-client's `filetype`, …) are allowed and ignored. Everything is bounded
before it is decoded; a refusal says what is wrong in Chinese.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import unicodedata

from django.utils import timezone

from avrecords.lib.refusals import Refusal
from avrecords.recordings.naming import (
    UnsafeNameError,
    check_upload_name,
    junk_reason,
    media_kind_of,
)

METADATA_MAX_CHARS = 8192
METADATA_MAX_KEYS = 32
KEY_MAX_CHARS = 64
VALUE_MAX_BYTES = 1000
SERIAL_MAX_CHARS = 64
CLOCK_OFFSET_MAX_SECONDS = 10 * 366 * 86400
KEYS = ("filename", "relative_path", "serial", "sha256", "mtime", "camera_clock_offset")
_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class BadMetadata(Refusal):
    """Upload-Metadata the server will not take (400, as tus answers a bad request)."""

    status = 400
    default_message = "上传元数据（Upload-Metadata）无效"


def parse(header: str) -> dict:
    """The known keys of the header, decoded and checked; raises BadMetadata."""
    if len(header) > METADATA_MAX_CHARS:
        raise BadMetadata(f"上传元数据过长（超过 {METADATA_MAX_CHARS} 个字符）")
    raw: dict[str, str] = {}
    pairs = [p.strip() for p in header.split(",")] if header.strip() else []
    if len(pairs) > METADATA_MAX_KEYS:
        raise BadMetadata(f"上传元数据的项过多（最多 {METADATA_MAX_KEYS} 项）")
    for pair in pairs:
        key, _, value = pair.partition(" ")
        if not _KEY.match(key) or len(key) > KEY_MAX_CHARS or " " in value.strip():
            raise BadMetadata("上传元数据格式有误：应为“键 base64值”，以逗号分隔")
        if key in raw:
            raise BadMetadata(f"上传元数据中“{key}”重复")
        raw[key] = _decode(key, value.strip())
    return _checked(raw)


def _decode(key: str, value: str) -> str:
    if len(value) > VALUE_MAX_BYTES * 4 // 3 + 4:
        raise BadMetadata(f"上传元数据“{key}”过长")
    try:
        decoded = binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadMetadata(f"上传元数据“{key}”不是有效的 base64 编码的 UTF-8 文字") from None
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise BadMetadata(f"上传元数据“{key}”包含控制字符")
    return text


def _checked(raw: dict[str, str]) -> dict:
    if not raw.get("filename"):
        raise BadMetadata("上传元数据缺少文件名（filename）")
    try:
        filename = check_upload_name(raw["filename"])
    except UnsafeNameError as exc:
        raise BadMetadata(f"文件名不合法：{exc}") from None
    relative = raw.get("relative_path", "").replace("\\", "/").strip("/") or filename
    parts = relative.split("/")
    if len(relative) > VALUE_MAX_BYTES or any(p in ("", ".", "..") for p in parts):
        raise BadMetadata(
            "相对路径（relative_path）不合法：不能为空段、“.”或“..”，最多 1000 个字符"
        )
    if unicodedata.normalize("NFC", parts[-1]) != filename:
        raise BadMetadata("相对路径（relative_path）的最后一段应为文件名")
    if reason := junk_reason(relative):
        raise BadMetadata(f"不接收系统文件（{reason}）：{filename}")
    if media_kind_of(filename) is None:
        raise BadMetadata(f"不支持的文件类型：{filename}")
    found: dict = {"filename": filename, "relative_path": relative}
    if serial := raw.get("serial", "").strip():
        if len(serial) > SERIAL_MAX_CHARS or not serial.isprintable():
            raise BadMetadata(f"设备序列号（serial）不合法（最多 {SERIAL_MAX_CHARS} 个字符）")
        found["serial"] = serial
    if sha := raw.get("sha256", ""):
        if not _SHA256.match(sha):
            raise BadMetadata("文件校验值（sha256）应为 64 位十六进制数")
        found["sha256"] = sha.lower()
    if mtime := raw.get("mtime", ""):
        found["mtime"] = _mtime(mtime).isoformat()
    if offset := raw.get("camera_clock_offset", ""):
        found["camera_clock_offset"] = _clock_offset(offset)
    return found


def _mtime(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadMetadata(
            "文件修改时间（mtime）应为 ISO 8601 格式，如 2026-11-20T09:30:00+08:00"
        ) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def _clock_offset(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or abs(seconds) > CLOCK_OFFSET_MAX_SECONDS:
        raise BadMetadata("设备时钟偏差（camera_clock_offset）应为秒数，且不超过十年")
    return seconds


def encode(metadata: dict[str, str]) -> str:
    """The header for `metadata` (what a client sends; the tests and the agent use it)."""
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode('utf-8')).decode('ascii')}"
        for key, value in metadata.items()
    )
