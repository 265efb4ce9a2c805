"""Format checks of a person's numbers and phone (issue 18 §1): 执法证号, 执法记录编号 (警号, the
number a camera writes into its file names, M1) and 联系电话.

Pure functions, no database: each returns the Chinese reason a value is wrong, or "" when it is
right. Values are checked after `half_width` and `number` have tidied them, so a number typed
on a Chinese keyboard (３５０１００１２) is the same number as 35010012.
"""

from __future__ import annotations

import re

NUMBER_RE = re.compile(r"[0-9A-Z-]{4,32}")
NUMBER_CHARS_RE = re.compile(r"[0-9A-Z-]*")
MOBILE_RE = re.compile(r"1\d{10}")
# 区号 3–4 digits starting with 0, a number of 7–8 digits, optionally "-" between them.
LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}")

FULL_WIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E moved up by this much
IDEOGRAPHIC_SPACE = "\u3000"


def half_width(value: str) -> str:
    """Full-width ASCII (digits, letters, "－") and the ideographic space as their half-width
    forms; everything else (汉字) unchanged."""
    out = []
    for char in value:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - FULL_WIDTH_OFFSET))
        elif char == IDEOGRAPHIC_SPACE:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def number(value: str | None) -> str | None:
    """A 执法证号 or 执法记录编号 as kept: half-width, upper case, stripped; "" → None (the
    numbers are unique, and several people may have none)."""
    if value is None:
        return None
    tidy = half_width(str(value)).strip().upper()
    return tidy or None


def number_problem(label: str, value: str) -> str:
    """Why `value` is not a valid 执法证号/执法记录编号 (`label` names which), or ""."""
    if NUMBER_RE.fullmatch(value):
        return ""
    if not NUMBER_CHARS_RE.fullmatch(value):
        return f"{label}只能由数字、字母和“-”组成，4 至 32 位"
    return f"{label}应为 4 至 32 位（现为 {len(value)} 位）"


def phone_problem(value: str) -> str:
    """Why `value` is not a phone number we can call, or "" (also for an empty one)."""
    if not value or MOBILE_RE.fullmatch(value) or LANDLINE_RE.fullmatch(value):
        return ""
    return "联系电话应为 11 位手机号码（1 开头）或带区号的固定电话（如 0591-87654321）"
