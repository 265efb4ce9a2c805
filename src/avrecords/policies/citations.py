"""A profile's article references (`001§6(3)`) written out as a person cites them:
《执法音像记录设备的使用、管理和监督规则》第六条第（三）项."""

from __future__ import annotations

import re

from avrecords.policies.schema import CITE_RE, Profile

_PART_RE = re.compile(r"^\d{3}§(?P<article>\d+)(?:\((?P<item>\d+)\))?(?P<point>\d+)?$")
_DIGITS = "零一二三四五六七八九"


def chinese_number(value: int) -> str:
    """1 → 一, 10 → 十, 19 → 十九, 23 → 二十三, 105 → 一百零五 (articles stay below 1000)."""
    if value < 10:
        return _DIGITS[value]
    if value < 20:
        return "十" + (_DIGITS[value % 10] if value % 10 else "")
    if value < 100:
        tens, ones = divmod(value, 10)
        return _DIGITS[tens] + "十" + (_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(value, 100)
    if not rest:
        return _DIGITS[hundreds] + "百"
    middle = "零" if rest < 10 else ""
    tail = chinese_number(rest) if rest >= 20 or rest < 10 else "一" + chinese_number(rest)
    return _DIGITS[hundreds] + "百" + middle + tail


def article_text(cite: str) -> str:
    """`004§19(3)1` → 第十九条第（三）项第1目; several parts joined by "、"."""
    texts = []
    for part in filter(None, (p.strip() for p in cite.split(","))):
        match = _PART_RE.match(part) if CITE_RE.match(part) else None
        if match is None:
            texts.append(part)
            continue
        text = f"第{chinese_number(int(match['article']))}条"
        if match["item"]:
            text += f"第（{chinese_number(int(match['item']))}）项"
        if match["point"]:
            text += f"第{match['point']}目"
        texts.append(text)
    return "、".join(texts)


def legal_basis(profile: Profile, cite: str) -> str:
    """The citation of `cite` in the profile's own regulation, as a work record states it."""
    articles = article_text(cite)
    return f"《{profile.document}》{articles}" if articles else f"《{profile.document}》"
