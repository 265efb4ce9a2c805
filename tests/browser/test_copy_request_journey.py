"""Journey (b) of issue 17 §8, at 1366 px: a requester (张伟) asks for a copy of a recording;
the unit head (孙立) approves it, the administrator (林海) carries it out, the requester
downloads it; then the same for an evidence export of a case, down to its package. The
requester's 站内消息 count rises when the others act."""

from __future__ import annotations

import re

import pytest

from tests.browser.journeys import BEFORE, report
from tests.browser.walk import Counts, expect

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"[A-Z]{2}-\d{4}-\d{4}")
CLIP = re.compile("093100_0002")  # 张伟's second clip of the demo, filed in the case


def _number(walk) -> str:
    return NUMBER.search(walk.page.locator("h1").inner_text()).group(0)


def _decide(walk, number: str, button: str) -> None:
    """From where he lands: 待办, then the decision on the request's task (or, where the task
    offers none, on the request's page)."""
    page = walk.page
    walk.nav(re.compile("^待办|需要我"))
    task = page.locator("main .card", has_text=number).first
    expect(task).to_be_visible()
    decision = task.get_by_role("button", name=button, exact=True)
    if not decision.count():
        walk.click(task.get_by_role("link").first)
        decision = page.get_by_role("button", name=button, exact=True)
    walk.click(decision)
    expect(page.locator(".message, .messages").first).to_be_visible()


def _ask(walk, fields: dict[str, str]) -> str:
    page = walk.page
    for name, value in fields.items():
        walk.fill(page.locator(f"[name={name}]"), value)
    walk.click(page.get_by_role("button", name="提交申请"))
    return _number(walk)


def _heard(walk, before: int) -> int:
    """The requester's 站内消息 count, which must have risen since `before`."""
    now = walk.badge("站内消息")
    assert now > before, f"站内消息 stayed at {before}"
    return now


def test_a_copy_and_an_evidence_export_go_from_request_to_download(person):
    requester, head, admin = person("zhangwei"), person("zhongdui1"), person("guanli")
    walks = [requester, head, admin]
    page = requester.page
    heard = requester.badge("站内消息")
    to_decide, to_carry_out = head.badge("待办"), admin.badge("待办")

    # the copy: each one's 待办 counts it while it waits for him, and no longer after
    requester.nav(CLIP, via=re.compile("记录列表|我的音像记录"))
    requester.click(page.get_by_role("link", name=re.compile("申请复制")).first)
    number = _ask(requester, {"reason": "行政复议答复需要提交现场录像"})
    assert head.badge("待办") == to_decide + 1
    _decide(head, number, "同意")
    assert head.badge("待办") == to_decide
    heard = _heard(requester, heard)
    assert admin.badge("待办") == to_carry_out + 1
    _decide(admin, number, "办理")
    assert admin.badge("待办") == to_carry_out
    heard = _heard(requester, heard)
    requester.nav(re.compile("^站内消息"))
    requester.click(page.locator("main").get_by_role("link", name=re.compile(number)).first)
    if not page.locator("main").get_by_role("link", name=re.compile("下载")).count():
        requester.click(page.locator("main").get_by_role("link", name=CLIP).first)
    copy = requester.download(
        page.locator("main").get_by_role("link", name=re.compile("下载")).first
    )
    assert copy.suggested_filename.endswith(".MP4")
    heard = requester.badge("站内消息")  # what he has read no longer counts

    # the evidence export of the case those clips are filed in
    requester.nav("案卷")
    requester.click(page.locator("main").get_by_role("link", name=re.compile("桐市监罚")).first)
    requester.click(page.get_by_role("link", name=re.compile("证据导出")).first)
    number = _ask(requester, {"reason": "移送司法机关作为证据", "place": "一中队采集站"})
    for walk in (head, admin):
        walk.home()
    _decide(head, number, "同意")
    heard = _heard(requester, heard)
    _decide(admin, number, "办理")
    heard = _heard(requester, heard)
    requester.nav(re.compile("^站内消息"))
    requester.click(page.locator("main").get_by_role("link", name=re.compile(number)).first)
    package = page.locator("#package")
    expect(package).to_contain_text("ISO", timeout=120_000)  # built by the worker
    bag = requester.download(package.get_by_role("link", name=re.compile("下载")).first)
    assert bag.suggested_filename.endswith(".zip")

    total = Counts(
        clicks=sum(w.counts.clicks for w in walks),
        fields=sum(w.counts.fields for w in walks),
        pages=sum(w.counts.pages for w in walks),
        confirmations=sum(w.counts.confirmations for w in walks),
        visited=[url for w in walks for url in w.counts.visited],
    )
    report("copy_and_export", total)
    assert total.clicks < BEFORE["copy_and_export"].clicks
