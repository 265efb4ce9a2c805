"""Journey (a) of issue 17 §8, on a 390 px phone: an officer uploads a clip of his camera,
finds it in his recordings and explains the gap the compliance check raised on it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from avrecords.demo import media
from tests.browser.conftest import PHONE
from tests.browser.journeys import BEFORE, report
from tests.browser.walk import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clip_after_gap(tmp_path_factory):
    """张伟's camera 3501001, yesterday 09:33:00 (the demo's field day): his on-site inspection
    (09:29–09:32) already holds clips ending 09:31:04, so this one leaves a gap of 1 min 56 s
    inside the inspection's window, longer than the 60 s the agency tolerates."""
    day = (dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(days=1)).strftime("%Y%m%d")
    path = tmp_path_factory.mktemp("clip") / f"3501001_350211_{day}093300_0003.MP4"
    return media.make_video(path, seconds=3, variant=7)


def test_an_officer_uploads_finds_and_explains_a_gap_on_his_phone(person, clip_after_gap):
    walk = person("zhangwei", PHONE)
    page = walk.page
    todo_before = walk.badge("待办")

    walk.nav(re.compile("^上传"))
    walk.pick_files(page.locator("input[type=file]"), str(clip_after_gap))
    walk.click(page.get_by_role("button", name=re.compile("^上传")))
    expect(page.get_by_text("已导入").first).to_be_visible()

    walk.menu(re.compile("记录列表|我的音像记录"))
    walk.click(page.get_by_role("link", name=clip_after_gap.name).first)
    expect(page.locator("h1")).to_contain_text(clip_after_gap.name)

    # the worker's compliance check raises the gap on the new clip; 待办 counts it
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while walk.badge("待办") <= todo_before:
        assert dt.datetime.now() < deadline, "no gap reached 待办 after the upload"
        page.wait_for_timeout(500)

    walk.nav(re.compile("^待办|需要我说明"))
    task = page.locator(".card", has_text="记录中断").first
    expect(task).to_be_visible()
    walk.choose(task.locator("select").first, index=1)
    walk.fill(task.locator("textarea, input[name=text]").first, "设备电量不足，更换电池后继续记录")
    walk.click(task.get_by_role("button", name=re.compile("提交")))
    expect(page.locator(".message, .messages").first).to_contain_text("说明")
    assert walk.badge("待办") == todo_before

    report("officer", walk.counts)
    assert walk.counts.clicks < BEFORE["officer"].clicks
