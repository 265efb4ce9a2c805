"""Article references written as people cite them (issue 17 §7): `000§21` → 第二十一条.

Profiles, findings, retention decisions and the audit chain keep their references as codes
(`file§article(item)point`, e.g. `004§19(3)1`: regulation file 004, article 19, item (3),
point 1); pages, PDFs and spreadsheets people read show the words. The number before § names
the regulation: `policies` registers each installed profile's `document` here in its
`ready()` (this module sits in lib and imports no app), so a reference's title can say
《行政执法音像记录设备配备办法》第二十一条.

    article_text("004§19(3)1")        第十九条第（三）项第1目
    cited("000§21")                   第二十一条, or 《…》第二十一条 when named
    cites_in("保存至 …；000§18，…")   保存至 …；第十八条，…   (plain text, for exports)
    cite_html / cites_in_html         the same as safe HTML: <span class="cite" title="《…》…">
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

_CODE = r"\d{3}§\d+(?:\(\d+\))?(?:\d+)?"
CODE_RE = re.compile(rf"^{_CODE}$")
# one reference or several joined ("004§18,004§23(5)", "000§13、000§14")
RUN_RE = re.compile(rf"(?<![\d§]){_CODE}(?:\s*[,，、]\s*{_CODE})*")
_PART_RE = re.compile(r"^(?P<file>\d{3})§(?P<article>\d+)(?:\((?P<item>\d+)\))?(?P<point>\d+)?$")
_SPLIT_RE = re.compile(r"\s*[,，、]\s*")
_DIGITS = "零一二三四五六七八九"

_documents: dict[str, str] = {}
_lookups: list[Callable[[str], str | None]] = []


def register_document(number: str, document: str) -> None:
    """The regulation that file `number` ("000") is: 行政执法音像记录设备配备办法."""
    _documents[number] = document


def register_lookup(find: Callable[[str], str | None]) -> None:
    """For regulations known only later (a profile an administrator imports): a function that
    finds the document's name by file number, or None."""
    _lookups.append(find)


def document(number: str) -> str | None:
    """The name of regulation file `number`, or None when no installed profile names it."""
    name = _documents.get(number)
    if name is None:
        for find in _lookups:
            name = find(number)
            if name:
                _documents[number] = name
                break
    return name


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


def _part(match: re.Match) -> str:
    text = f"第{chinese_number(int(match['article']))}条"
    if match["item"]:
        text += f"第（{chinese_number(int(match['item']))}）项"
    if match["point"]:
        text += f"第{match['point']}目"
    return text


def _parts(cite: str) -> list[tuple[str | None, str]]:
    """(file number or None, words) of each part; a part that is no reference stays as is."""
    parts = []
    for part in filter(None, (p.strip() for p in _SPLIT_RE.split(cite or ""))):
        match = _PART_RE.match(part)
        parts.append((match["file"], _part(match)) if match else (None, part))
    return parts


def article_text(cite: str) -> str:
    """`004§19(3)1` → 第十九条第（三）项第1目; several parts joined by "、"; text that is not
    a reference is kept as it is."""
    return "、".join(words for _, words in _parts(cite))


def cited(cite: str, *, named: bool = False) -> str:
    """The words of `cite`; the regulation's name is written before each part whose
    regulation is not obvious: always with `named`, else when the parts come from several
    regulations."""
    parts = _parts(cite)
    files = {number for number, _ in parts if number}
    texts, last = [], None
    for number, words in parts:
        name = document(number) if number and (named or len(files) > 1) else None
        texts.append(f"《{name}》{words}" if name and number != last else words)
        last = number if name else last
    return "、".join(texts)


def title(cite: str) -> str:
    """What a reader sees on pointing at a reference: each part with its regulation's name."""
    return cited(cite, named=True)


def cite_html(cite: str, *, named: bool = False) -> SafeString:
    """`<span class="cite" title="《…》第二十一条">第二十一条</span>`; empty for no reference."""
    if not cite or not str(cite).strip():
        return mark_safe("")
    cite = str(cite)
    return format_html(
        '<span class="cite" title="{}">{}</span>', title(cite), cited(cite, named=named)
    )


def cites_in(text: str) -> str:
    """Plain `text` with every reference inside written out (PDFs, spreadsheets, logs
    people read)."""
    if not text:
        return text
    return RUN_RE.sub(lambda m: cited(m.group()), str(text))


def cites_in_html(text: str) -> SafeString:
    """`text` escaped, every reference inside as a `cite` span."""
    if text is None:
        return mark_safe("")
    text = str(text)
    out, end = [], 0
    for match in RUN_RE.finditer(text):
        out.append(conditional_escape(text[end : match.start()]))
        out.append(cite_html(match.group()))
        end = match.end()
    out.append(conditional_escape(text[end:]))
    return mark_safe("".join(out))
