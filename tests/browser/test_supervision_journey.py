"""Journey (c) of issue 17 §8, at 1366 px: a supervisor (何平) draws a spot check of 执法一中队,
scores the sampled on-site inspection beside the player with a timed note (the player plays,
a click on the note seeks to it), and downloads the quality report."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.browser.journeys import BEFORE, report
from tests.browser.site import run_in_site
from tests.browser.walk import expect

pytestmark = pytest.mark.browser

VIEWING_GRANTED = """
from avrecords.access import requests
from avrecords.compliance.models import Activity
from avrecords.org.models import User
people = {u.username: u for u in User.objects.filter(username__in=["jiandu", "zhongdui1", "guanli"])}
activity = Activity.objects.get(kind="on_site_inspection")
req = requests.submit(people["jiandu"], requests.Ask(kind="view", reason="抽查评分", activity=activity))
requests.approve(people["zhongdui1"], req)
req.refresh_from_db()
requests.execute(people["guanli"], req)
"""

MEDIA = "#player [data-media]"


@pytest.fixture
def viewing_granted(site):
    """The demo agency's rules (tongbai) let a supervisor play only with a viewing request,
    approved and carried out: made beforehand, not counted (docs/journeys.md)."""
    run_in_site(site, VIEWING_GRANTED)


def test_a_supervisor_draws_scores_beside_the_player_and_downloads_the_report(
    person, viewing_granted
):
    walk = person("jiandu")
    page = walk.page
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the agency's today

    walk.nav("抽查与评查")
    walk.click(page.get_by_role("link", name="组织抽查"))
    walk.choose(page.locator("select[name=kind]"), label="抽查")
    walk.fill(page.locator("input[name=title]"), "本月音像记录抽查")
    walk.fill(page.locator("input[name=period_start]"), (today - dt.timedelta(days=7)).isoformat())
    walk.fill(page.locator("input[name=period_end]"), today.isoformat())
    squad = page.locator("select[name=units] option", has_text="执法一中队").get_attribute("value")
    walk.choose(page.locator("select[name=units]"), value=squad)
    walk.fill(page.locator("input[name=ratio]"), "100")
    walk.click(page.get_by_role("button", name="创建"))
    walk.click(page.get_by_role("button", name="抽取样本"))
    expect(page.locator("main")).to_contain_text("抽取")

    walk.click(page.locator("main").get_by_role("link", name="现场检查").first)
    media = page.locator(MEDIA)
    expect(media).to_be_visible()
    walk.click(page.locator("#player [data-toggle]"))
    walk.until(f"document.querySelector('{MEDIA}').currentTime > 1.5")  # it plays
    walk.fill(page.locator("[data-note-text]"), "未告知执法人员身份")
    walk.click(page.get_by_role("button", name="在当前时间添加备注"))
    note = page.locator(".timed-notes li", has_text="未告知执法人员身份").locator("[data-seek]")
    expect(note).to_be_visible()
    at = float(note.get_attribute("data-seek"))
    assert at >= 1  # whole seconds, as the note is written
    # A check, not part of the journey (so not counted): a click on the note seeks to it.
    page.evaluate(f"document.querySelector('{MEDIA}').currentTime = 0")
    note.click()
    walk.until(f"Math.abs(document.querySelector('{MEDIA}').currentTime - {at}) < 0.5")

    for verdict in page.locator("input[type=radio][value=pass]").all():
        walk.click(verdict)
    walk.click(page.get_by_role("button", name="保存评分"))
    expect(page.locator("h1")).to_contain_text("100.0 分")
    expect(page.locator("main")).to_contain_text("未告知执法人员身份")

    walk.nav(re.compile("监督概况|质量"))
    report_pdf = walk.download(page.get_by_role("link", name=re.compile("PDF")).first)
    assert report_pdf.suggested_filename.endswith(".pdf")

    report("supervisor", walk.counts)
    assert walk.counts.clicks < BEFORE["supervisor"].clicks
