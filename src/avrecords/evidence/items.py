"""What goes into an evidence package (M6, M7): the originals and the facts about the package.

The library knows nothing of the database: whoever builds a package turns recordings into
`Item`s (each opening its original from the caller's store) and fills in a `PackageInfo`.
Names become file names on disk, in the BagIt manifest and on the disc, so `check_names`
refuses what any of those cannot carry; `safe_name` makes an original's name acceptable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

# Linux file names are at most 255 bytes; a UDF file identifier holds 126 UTF-16 units.
MAX_NAME_UTF8_BYTES = 255
MAX_NAME_UTF16_UNITS = 126
# The characters Windows refuses in a file name; '%' because BagIt 1.0 percent-encodes it in
# manifests while bagit-python does not decode it, so the two would disagree about the path.
UNSAFE_NAME_CHARACTERS = frozenset('<>:"/\\|?*%')
STATEMENT_NAME = "文字说明材料.pdf"


@dataclass(frozen=True)
class Item:
    """One original to put in a package, as recorded at ingest."""

    name: str  # the file's name inside the package; Chinese allowed, unique in a package
    size: int  # bytes, from the store record
    sha256: str  # hex, as recorded at ingest
    open: Callable[[], BinaryIO]  # opens the original for streaming read (caller's store)
    # for the statement: recording_id, device, officer, unit, started_at, ended_at
    # (datetimes), duration_seconds, original_name
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PackageInfo:
    """Who made the package, for what, when and where (M7: 制作人、提取人、提取时间、地点)."""

    number: str  # package number, e.g. "ZJ-2026-0007" (ASCII)
    agency: str  # 机关名称
    unit: str
    case_number: str  # may be ""
    case_title: str  # may be ""
    activity: str  # activity name or ""
    maker: str  # 制作人
    extractor: str  # 提取人
    extracted_at: datetime
    place: str  # 提取地点
    purpose: str  # e.g. 作为证据使用 / 长期保存
    approvers: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        """The case (number and title) or, failing that, the activity, for documents."""
        case = " ".join(part for part in (self.case_number, self.case_title) if part)
        return case or self.activity


def short_hash(sha256: str) -> str:
    return f"{sha256[:8]}…" if sha256 else "无"


class TamperedOriginal(Exception):
    """An original no longer matches the hash (or size) recorded at ingest; the export stops."""

    def __init__(
        self,
        name: str,
        expected: str,
        actual: str,
        *,
        expected_size: int | None = None,
        actual_size: int | None = None,
    ) -> None:
        super().__init__(name, expected, actual)
        self.name = name
        self.expected = expected
        self.actual = actual
        self.expected_size = expected_size
        self.actual_size = actual_size

    def problem(self) -> str:
        """The mismatch in Chinese, without saying what happens next."""
        if self.expected_size is not None and self.expected_size != self.actual_size:
            return (
                f"原始文件“{self.name}”与入库时记录的大小不一致"
                f"（入库 {self.expected_size} 字节，现为 {self.actual_size} 字节）"
            )
        return (
            f"原始文件“{self.name}”与入库时记录的哈希值不一致"
            f"（入库 {short_hash(self.expected)}，现为 {short_hash(self.actual)}）"
        )

    def __str__(self) -> str:
        return f"{self.problem()}，已停止导出"


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a file name in a package, in Chinese; None when it can."""
    if not name or name in (".", ".."):
        return "文件名为空"
    if name != name.strip():
        return f"文件名“{name}”首尾不能有空白字符"
    if any(ch in UNSAFE_NAME_CHARACTERS or unicodedata.category(ch) == "Cc" for ch in name):
        return f'文件名“{name}”含有不允许的字符（控制字符或 < > : " / \\ | ? * %）'
    if len(name.encode("utf-8")) > MAX_NAME_UTF8_BYTES:
        return f"文件名“{name}”过长（超过 {MAX_NAME_UTF8_BYTES} 字节）"
    if len(name.encode("utf-16-le")) // 2 > MAX_NAME_UTF16_UNITS:
        return f"文件名“{name}”过长（超过 {MAX_NAME_UTF16_UNITS} 个字符）"
    return None


def name_key(name: str) -> str:
    """Names equal under this key collide on Windows (case) or in BagIt (normalisation)."""
    return unicodedata.normalize("NFC", name).casefold()


def check_names(items: Iterable[Item], reserved: Iterable[str] = (STATEMENT_NAME,)) -> None:
    """ValueError (message in Chinese) unless every name is usable and unique in the package."""
    seen = {name_key(name): name for name in reserved}
    for item in items:
        problem = name_problem(item.name)
        if problem:
            raise ValueError(problem)
        key = name_key(item.name)
        if key in seen:
            raise ValueError(f"文件名“{item.name}”与“{seen[key]}”重复，证据包内文件名不能相同")
        seen[key] = item.name
        if item.size < 0 or len(item.sha256) != 64:
            raise ValueError(f"原始文件“{item.name}”缺少入库时的大小或 SHA-256 记录")


def safe_name(name: str) -> str:
    """`name` made acceptable to `check_names`: unsafe characters become "_", and an
    over-long name is shortened before its extension."""
    cleaned = "".join(
        "_" if ch in UNSAFE_NAME_CHARACTERS or unicodedata.category(ch) == "Cc" else ch
        for ch in unicodedata.normalize("NFC", name)
    ).strip()
    if cleaned in ("", ".", ".."):
        cleaned = "_"
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = cleaned, ""
    suffix = f".{ext}" if ext else ""
    while name_problem(stem + suffix) is not None and len(stem) > 1:
        stem = stem[:-1].rstrip()
    return stem + suffix
