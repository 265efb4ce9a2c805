"""Users read Chinese only (issue 17 §7): the demo's pages, walked as each demo role, show no raw
identifier — no requirement ids, action or job codes, profile keys, agency codes, uuids,
"None", "逾期 0.0 小时" or "0.00 GB".

The crawl starts at each role's landing page and follows the site's own links breadth-first,
bounded (a few pages per URL shape, a cap per role), skipping downloads, media, the Django
admin, the API and logging out. Only the visible text is scanned: tags, scripts and styles are
stripped; attribute values (hrefs, form field names) and form fields' values are not text a
person reads.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from avrecords.demo.loader import load_demo
from avrecords.equipment.models import Device
from avrecords.org.models import User

ROLES = ["admin", "guanli", "lingdao", "zhongdui1", "jiandu", "dangan", "zhangwei", "wangfang"]
PAGES_PER_ROLE = 80
PAGES_PER_SHAPE = 2
SKIP = re.compile(
    r"^/(static|media|admin|api|accounts/logout|logout)/|/(download|stream|play|poster|thumbnail|"
    r"snapshot|export|print|pdf|zip|xlsx|csv|sheet|file|proxy|original|package)\b|\.(pdf|zip|xlsx|"
    r"csv|iso|mp4|jpg|png|svg|json|txt)$",
)

# What may look like an identifier but is shown on purpose:
ALLOWED = [
    # file names of recordings and imports (officers recognise their camera's files by them)
    re.compile(
        r"[\w.-]+\.(mp4|mov|avi|jpg|jpeg|png|amr|wav|mp3|m4a|mkv|ts|xlsx|csv|pdf|zip|iso)\b", re.I
    ),
    # SHA-256 sums and their prefixes (people compare them with a copy's)
    re.compile(r"\b[0-9a-f]{16,64}\b"),
    # paths on the server an administrator must find (the audit signing key on the 审计锚定 page)
    re.compile(r"(?<![\w])(/[\w.-]+){2,}"),
    # e-mail addresses
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    # version numbers, dotted numbers, times and file-size units are not codes
    re.compile(r"\d+(\.\d+)+"),
]
FORBIDDEN = [
    ("requirement id", re.compile(r"(?<![A-Za-z0-9])[EUMSX]\d{1,2}(?![A-Za-z0-9])")),
    ("dotted code", re.compile(r"(?<![\w.])[a-z_]+\.[a-z_]+(?![\w])")),
    ("snake_case key", re.compile(r"(?<![\w])[a-z]+_[a-z_]+(?![\w])")),
    ("agency code", re.compile(r"\b(tongbai|chengde|fuzhou|lingchuan|zhanhe)\b")),
    ("uuid", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")),
    ("None", re.compile(r"(?<![\w])None(?![\w])")),
    # a profile's article reference: people read 第二十一条 (lib/citations.py)
    ("article code", re.compile(r"\d{3}§\d+")),
]
# looked for before the allowed numbers are taken out
FORBIDDEN_NUMBERS = [
    ("zero hours", re.compile(r"(?<![\d.])0\.0 ?小时")),
    ("zero gigabytes", re.compile(r"(?<![\d.])0\.00 ?GB")),
]


class _Page(HTMLParser):
    """The text a person sees (minus scripts and styles) and the links."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "track", "wbr", "col", "area"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        if tag in self.VOID:
            return
        # a textarea holds a field's value, like an input's value attribute: the YAML source a
        # system administrator edits on 导入新策略 is code on purpose
        self._hidden.append(tag in ("script", "style", "template", "textarea"))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._hidden:
            self._hidden.pop()

    def handle_data(self, data):
        if not any(self._hidden):
            self.text.append(data)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def offending(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """Each raw identifier in `text`, with its kind and what surrounds it; `data` are values
    people typed in that may look like codes (a camera model "X8")."""
    found = [f"{kind}: {m.group()}" for kind, p in FORBIDDEN_NUMBERS for m in p.finditer(text)]
    for value in data:
        text = text.replace(value, " ")
    for pattern in ALLOWED:
        text = pattern.sub(" ", text)
    for kind, pattern in FORBIDDEN:
        for m in pattern.finditer(text):
            found.append(f"{kind}: {m.group()} in …{text[max(0, m.start() - 20) : m.end() + 20]}…")
    return found


def crawl(client, data: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """{url: [problems]} for every page reached from the landing page."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(["/"])
    fetched = 0
    while queue and fetched < PAGES_PER_ROLE:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        if response.status_code in (301, 302):
            location = response["Location"]
            if location.startswith("/") and location not in seen:
                seen.add(location)
                queue.appendleft(location)
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        text = re.sub(r"\s+", " ", " ".join(page.text))
        found = offending(text, data)
        if found:
            problems[url] = found
        for href in page.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if SKIP.search(parts.path) or href in seen:
                continue
            shape = _shape(parts.path)
            if shapes.get(shape, 0) >= PAGES_PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(href)
            queue.append(href)
    return problems


def test_the_scan_finds_each_kind_of_code():
    text = (
        "审计 recording.view 保存 on_site_inspection（U2、U6）tongbai None 逾期 0.0 小时 0.00 GB"
        "；依据 004§19(3)1"
    )
    kinds = {p.split(":")[0] for p in offending(text)}
    assert kinds == {
        "dotted code",
        "snake_case key",
        "requirement id",
        "agency code",
        "None",
        "zero hours",
        "zero gigabytes",
        "article code",
    }
    assert offending("3501001_350211_20260101.MP4 张伟 a.b@example.cn 1.2 MB 2026-01-01") == []
    assert offending("依据第十九条第（三）项第1目") == []


@pytest.mark.django_db
def test_no_raw_identifiers_on_the_demo_pages_of_any_role(client):
    load_demo()
    # device models are what the maker prints on the camera ("警翼 X8", a terminal "M5")
    models = tuple(m for m in Device.objects.values_list("brand_model", flat=True) if m)
    report = []
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        for url, found in crawl(client, models).items():
            report.append(f"{username} {url}: " + "; ".join(sorted(set(found))[:6]))
        client.logout()
    assert not report, "raw identifiers on pages:\n" + "\n".join(report)
