"""The notice check (issue 20 §2, U5) in a browser, on the demo agency (tongbai: 000§12 asks the
officer to say "为保护您的合法权益，监督我们的执法行为，本次执法全程录音录像" when recording starts).

The demo (avrecords/demo/notice.py) gives the platform two reference recordings of the notice
and two activities whose first recordings were checked before the site opened: 张伟's
inspection says the notice from 0:05, 王芳's sampling does not. Here, as the people would:
王芳 finds the missed notice in her 待办 on a 390 px phone and answers it, 孙立 (the squad
leader, `notice.reviewed_by: unit_head`) dismisses it; 张伟's player shows where the notice
was heard and seeks to it; the system administrator, at 1280 px, uploads a reference and
tries the references against a recording (试听检测), then deletes what he uploaded.

The tests share the session's demo site: each leaves behind only what a person would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE
from tests.browser.walk import expect

pytestmark = pytest.mark.browser

DEMO_AUDIO = Path(__file__).resolve().parents[2] / "src" / "avrecords" / "demo" / "audio"
MEDIA = "#player [data-media]"
SYSADMIN_SCREEN = {"width": 1280, "height": 800}


def test_an_officer_answers_a_missed_notice_on_her_phone_and_the_squad_leader_dismisses_it(
    person,
):
    """000§12: no notice heard in 王芳's first recording is a finding she answers (never a
    violation by itself); the unit head reviews it (notice.reviewed_by)."""
    walk = person("wangfang", PHONE)
    page = walk.page
    walk.nav("待办")
    task = page.locator("main .card", has_text="请说明告知情况")
    expect(task).to_contain_text("未检测到告知语")
    expect(task).to_contain_text("抽样取证")
    # answered right in 待办, as an interruption is
    walk.choose(task.locator("select[name=code]"), label="口头告知未录入")
    walk.fill(task.locator("input[name=text]"), "进店时已口头告知，记录仪开机晚了几秒没有录上")
    walk.click(task.get_by_role("button", name="提交说明"))
    expect(page.locator("main")).to_contain_text("说明已提交，等待审核")
    expect(page.locator("main .card", has_text="请说明告知情况")).to_have_count(0)
    print(f"notice officer: {walk.counts}")
    assert walk.counts.clicks <= 2 and walk.counts.pages <= 2  # docs/journeys.md (d)

    head = person("zhongdui1")
    page = head.page
    head.nav("待办")
    task = page.locator("main .card", has_text="的告知说明")
    expect(task).to_contain_text("王芳")
    expect(task).to_contain_text("口头告知未录入")
    head.click(task.get_by_role("link").first)
    notice = page.locator("#notice")
    head.fill(notice.locator("input[name=note]"), "听了开头，当事人到场前的情况与说明相符")
    head.click(notice.get_by_role("button", name="驳回"))
    expect(page.locator("main")).to_contain_text("已驳回")
    expect(page.locator("#notice")).to_contain_text("不予认定")
    assert page.locator("#notice button[name=decision]").count() == 0  # decided once
    print(f"notice reviewer: {head.counts}")
    assert head.counts.clicks <= 3 and head.counts.pages <= 3  # docs/journeys.md (e)


def test_the_player_of_a_recording_with_the_notice_marks_where_it_was_heard(person):
    """张伟 said the notice at 0:05 of his inspection's first recording: the timeline has the
    mark 检测到告知语 with its confidence, and a click on it seeks the player there."""
    walk = person("zhangwei", PHONE)
    page = walk.page
    walk.menu("记录列表")
    walk.click(page.locator("main").get_by_role("link", name=re.compile(r"_0001\.MP4")).first)
    mark = page.locator("#marks .timeline button.mark-notice")
    expect(mark).to_have_count(1)
    expect(mark).to_have_attribute("title", re.compile(r"00:05 .*检测到告知语（置信度 \d+%）"))
    expect(page.locator("#marks .marks-list")).to_contain_text("检测到告知语")
    expect(page.locator(MEDIA)).to_be_visible()
    walk.until(f"document.querySelector('{MEDIA}').readyState >= 1")
    walk.click(mark)
    walk.until(f"Math.abs(document.querySelector('{MEDIA}').currentTime - 5) < 0.5")
    print(f"notice player: {walk.counts}")


def test_a_supervisors_score_sheet_offers_what_the_system_heard_and_decides_nothing(person):
    """何平's demo spot check (S2): beside the checklist's notice item (notice.checklist_item)
    each sample says what the check heard, the moment is offered as a timed note, and no
    verdict is ticked for him."""
    walk = person("jiandu")
    page = walk.page
    walk.menu("抽查与评查")
    row = page.locator("main tr", has_text="现场执法音像记录抽查（演示）")
    walk.click(row.get_by_role("link").first)
    walk.click(page.locator("main").get_by_role("link", name="现场检查").first)
    hint = page.locator("[data-notice-hint]")
    expect(hint).to_contain_text(re.compile(r"系统检测：00:05 检测到告知语（置信度 \d+%），请复核"))
    notes = page.locator("[data-notes-box]").first
    expect(notes).to_have_value(re.compile("00:05 检测到告知语"))
    assert page.locator("input[type=radio]:checked").count() == 0  # nothing decided for him

    page.go_back()
    walk.click(page.locator("main").get_by_role("link", name="抽样取证").first)
    expect(page.locator("[data-notice-hint]")).to_contain_text("未在开头 20 秒检测到告知语")
    assert page.locator("input[type=radio]:checked").count() == 0
    print(f"notice supervisor: {walk.counts}")


def test_the_system_administrator_uploads_a_reference_and_tries_it_on_a_recording(person):
    """系统管理 → 告知语参考录音 at 1280 px: upload (kept as a derived 16 kHz file), 试听检测
    against 张伟's recording finds the notice at 00:05, and the upload is deleted again."""
    walk = person("admin", SYSADMIN_SCREEN)
    page = walk.page
    walk.menu("告知语参考录音")
    expect(page.locator("h1")).to_have_text("告知语参考录音")
    expect(page.locator("table.notice-references tbody tr")).to_have_count(2)  # the demo's

    upload = page.locator("#upload")
    walk.pick_files(upload.locator("input[type=file]"), str(DEMO_AUDIO / "notice_device.opus"))
    walk.fill(upload.locator("input[name=name]"), "记录仪一键告知（新型号试用）")
    walk.choose(upload.locator("select[name=kind]"), label="设备内置告知语音")
    walk.click(upload.get_by_role("button", name="上传"))
    expect(page.locator("main")).to_contain_text("已添加告知语参考录音")
    row = page.locator("table.notice-references tbody tr", has_text="新型号试用")
    expect(row).to_contain_text("设备内置告知语音")

    trial = page.locator("#try")
    search = trial.locator(".picker-search input")
    walk.fill(search, "3501001")
    walk.click(trial.locator(".picker-results .pick", has_text="_0001.MP4"))
    walk.click(trial.get_by_role("button", name="检测"))
    result = page.locator("#try .notice-trial")
    expect(result).to_contain_text("在 00:05 处检测到告知语")
    expect(result).to_contain_text("最相似的参考录音")

    row = page.locator("table.notice-references tbody tr", has_text="新型号试用")
    walk.click(row.get_by_role("button", name="删除"))  # site.js asks first; 确定 is a click
    expect(page.locator("main")).to_contain_text("已删除告知语参考录音")
    expect(page.locator("table.notice-references tbody tr")).to_have_count(2)
    print(f"notice sysadmin: {walk.counts}")
