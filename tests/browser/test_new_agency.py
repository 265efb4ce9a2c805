"""A new agency sets itself up in a browser, from `avrecords init` to officers working, without
the Django admin or a shell (issue 18, "Tests" and "Done when"):

the first system administrator is created on the first-visit page with the code `init` wrote,
enrols in two-factor sign-in (a TOTP computed here from the key the page shows), names the
agency and gives it fuzhou's profile, creates two squads, imports a roster of 200 people whose
5 bad rows are each named and nothing imported, then the fixed roster, downloads the initial
passwords once, makes one person a supervisor of both squads and clears the unit head for
personal privacy. Then the people so created work: an officer signs in with his initial
password, must choose his own, uploads a clip and asks for a copy of it; his unit head signs
in the same way and approves it from 待办.

The time the whole set-up takes is written to var/journeys-after.txt with the journeys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import struct
import time

import openpyxl
import pytest

from avrecords.demo import media
from tests.browser.conftest import PHONE, WIDE
from tests.browser.journeys import REPORT
from tests.browser.site import PEOPLES_BROWSER, DemoSite
from tests.browser.walk import Walk, expect

pytestmark = pytest.mark.browser

AGENCY = "福州市仓山区市场监督管理局"
SQUADS = ("执法一中队", "执法二中队")
COLUMNS = ["姓名", "用户名", "执法证号", "执法记录编号", "单位", "角色", "涉密知悉范围", "联系电话"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"]
ADMIN_PASSWORD = "Cangshan-2026-setup"
# Beside make test's SQLite pass the machine is loaded: a 200-row roster or a page counted
# after a decision may take a while; the journey waits for it as a person would.
SLOW_MS = 90_000
NEW_PASSWORD = "Zhifa-xin-mima-2026"


class NewAgency(DemoSite):
    """A new installation: `avrecords init` only, then the web server and a worker, with the
    product's own settings (two-factor sign-in required of system administrators and leaders),
    not the test run's."""

    STEPS = (("init",),)
    failed = True  # until the journey reaches its end

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
        self.walks: list[Walk] = []

    def keep_screens(self) -> None:
        """Each person's last page as a PNG beside the log, for a failed run."""
        for number, walk in enumerate(self.walks):
            walk.page.screenshot(path=str(self.home / f"failed-{number}.png"), full_page=True)


@pytest.fixture(scope="module")
def new_agency(browser):
    """Kept when a test fails (its browser-site.log says what the server saw), else removed."""
    site = NewAgency().start()
    yield site
    if site.failed:
        site.keep_screens()
    site.stop(remove=not site.failed)


def totp(key_groups: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits) from the base32 key the enrolment page shows."""
    key = key_groups.replace(" ", "")
    key = base64.b32decode(key + "=" * (-len(key) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def roster_rows() -> list[list[str]]:
    """200 people: per squad a unit head and an administrator, one supervisor and one leader at
    the bureau, officers for the rest; Chinese names, 执法证号 3501040001…"""
    rows = []
    for i in range(200):
        name = SURNAMES[i % 20] + GIVEN[i // 20] + ("" if i < 100 else GIVEN[(i // 2) % 10])
        squad = SQUADS[i % 2]
        role = {
            0: "单位负责人",
            1: "单位负责人",
            2: "设备及音像资料管理员",
            3: "设备及音像资料管理员",
        }.get(i, "执法人员")
        unit = squad
        if i == 4:
            unit, role = AGENCY, "监督人员"
        elif i == 5:
            unit, role = AGENCY, "分管领导"
        rows.append(
            [
                name,
                f"cs{i + 1:03d}",
                f"350104{i + 1:04d}",
                f"35104{i + 1:03d}",
                unit,
                role,
                "",
                f"139{i + 1:08d}",
            ]
        )
    return rows


BAD_ROWS = {  # row index → (column, bad value, what the page must say about it)
    20: ("执法证号", "35 01 04 测试", "执法证号"),
    41: ("单位", "执法九中队", "执法九中队"),
    62: ("角色", "队长", "队长"),
    83: ("执法证号", "3501040001", "3501040001"),  # the first person's
    104: ("联系电话", "12345", "联系电话"),
}


def roster_file(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(walk: Walk, name: str, data: bytes) -> None:
    walk.pick_files(
        walk.page.locator("input[type=file]"),
        {"name": name, "mimeType": "application/octet-stream", "buffer": data},
    )
    walk.click(walk.page.get_by_role("button", name="上传并预览"))


def choose_containing(walk: Walk, select, text: str) -> None:
    """A <select> option by part of its label (Playwright matches labels whole)."""
    label = next(o for o in select.locator("option").all_inner_texts() if text in o)
    walk.choose(select, label=label)


def new_page(browser, site, viewport=WIDE) -> Walk:
    context = browser.new_context(viewport=viewport, base_url=site.url, **PEOPLES_BROWSER)
    context.set_default_timeout(SLOW_MS)
    walk = Walk(context.new_page(), base=site.url)
    site.walks.append(walk)
    return walk


def first_sign_in(walk: Walk, username: str, password: str) -> None:
    """Signs in with the initial password and chooses his own, as the product insists."""
    page = walk.page
    walk.start("/login/")
    walk.fill(page.locator("input[name=username]"), username)
    walk.fill(page.locator("input[name=password]"), password)
    walk.click(page.get_by_role("button", name="登录"))
    expect(page.locator("h1")).to_have_text("修改密码")
    expect(page.locator("main")).to_contain_text("请先设置新密码")
    walk.fill(page.locator("input[name=old_password]"), password)
    for field in page.locator("input[type=password]").all()[1:]:
        walk.fill(field, NEW_PASSWORD)
    walk.click(page.get_by_role("button", name="修改密码"))
    expect(page.locator("main")).to_contain_text("登录密码已修改")
    # still signed in, a moment later too (a request in flight could end the session)
    page.wait_for_load_state("networkidle")
    walk.start("/recordings/")
    expect(page.locator("#side-menu")).to_be_attached()


def test_a_new_agency_sets_itself_up_and_its_people_work(browser, new_agency, tmp_path):
    site = new_agency
    started = time.monotonic()
    admin = new_page(browser, site)
    page = admin.page

    # first visit: no one exists yet; the code `init` wrote lets him create the first admin
    admin.start("/login/")
    expect(page.locator("main")).to_contain_text("尚未设置系统管理员")
    admin.click(page.get_by_role("link", name=re.compile("设置第一个系统管理员|设置系统管理员")))
    code = (site.home / "first-admin-code").read_text().strip()
    for name, value in {
        "code": code,
        "username": "chenjing",
        "full_name": "陈静",
        "password": ADMIN_PASSWORD,
        "password_again": ADMIN_PASSWORD,
    }.items():
        admin.fill(page.locator(f"input[name={name}]"), value)
    admin.click(page.get_by_role("button", name="创建系统管理员"))
    assert not (site.home / "first-admin-code").exists()
    if page.locator("input[name=username]").count():  # sent to sign in with what he chose
        admin.fill(page.locator("input[name=username]"), "chenjing")
        admin.fill(page.locator("input[name=password]"), ADMIN_PASSWORD)
        admin.click(page.get_by_role("button", name="登录"))

    # a system administrator must use two-factor sign-in: enrol with the key shown
    expect(page.locator("h1")).to_have_text("启用双因素登录")
    key = page.locator(".mono").first.inner_text()
    admin.fill(page.locator("input[name=token]"), totp(key))
    admin.click(page.get_by_role("button", name="启用"))
    expect(page.locator("h1")).to_have_text("恢复码")
    admin.click(page.get_by_role("button", name="我已保存恢复码"))

    # he lands on the set-up checklist; step 1: the agency's name and profile
    expect(page.locator("h1")).to_have_text("初始设置")
    expect(page.locator("#missing")).to_contain_text("执法策略")
    admin.fill(page.locator("#step-1 input[name=name]"), AGENCY)
    choose_containing(admin, page.locator("#step-1 select[name=profile]"), "福州")
    admin.click(page.locator("#step-1").get_by_role("button", name="保存"))
    expect(page.locator("#step-1")).to_contain_text("已完成")

    # the two squads under the bureau
    for squad in SQUADS:
        admin.start("/agency/units/new")
        admin.fill(page.locator("input[name=name]"), squad)
        choose_containing(admin, page.locator("select[name=parent]"), AGENCY)
        page.locator("input[name=field_squad]").check()
        admin.click(page.get_by_role("button", name="新建"))
        expect(page.locator(".message, .messages").first).to_contain_text(squad)

    # the roster with five bad rows: each named, nobody imported
    rows = roster_rows()
    bad = [list(row) for row in rows]
    for index, (column, value, _) in BAD_ROWS.items():
        bad[index][COLUMNS.index(column)] = value
    admin.nav("人员名册")
    upload(admin, "人员名册.xlsx", roster_file(bad))
    refusal = page.locator(".card.error")
    expect(refusal).to_contain_text("共 5 行有误", timeout=SLOW_MS)
    for index, (_, _, said) in BAD_ROWS.items():
        expect(refusal).to_contain_text(re.compile(f"第 {index + 2} 行：.*{re.escape(said)}"))
    admin.start("/agency/people/")
    expect(page.locator("main")).not_to_contain_text(rows[0][0])

    # fixed: previewed, then imported; the initial passwords downloaded once
    admin.nav("人员名册")
    upload(admin, "人员名册（改正）.xlsx", roster_file(rows))
    expect(page.locator("main h2").first).to_contain_text("新增 200 人", timeout=SLOW_MS)
    admin.click(page.get_by_role("button", name="确认导入"))
    sheet = admin.download(page.get_by_role("button", name="下载初始密码表"))
    assert sheet.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sheet.path().read_bytes()), read_only=True)
    header, *lines = [list(r) for r in book.active.iter_rows(values_only=True)]
    passwords = {line[header.index("用户名")]: line[header.index("初始密码")] for line in lines}
    assert len(passwords) == 200

    # a supervisor for both squads; the first squad's head cleared for personal privacy
    supervisor, head, officer = rows[4], rows[0], rows[6]  # head of 一中队, officer of 一中队
    for person, change in ((supervisor, "supervised"), (head, "clearance")):
        admin.start("/agency/people/")
        admin.fill(page.locator("main input[name=q]"), person[2])
        admin.enter(page.locator("main input[name=q]"))
        admin.click(page.locator("main").get_by_role("link", name=person[0]).first)
        if not page.locator("input[name=full_name]").count():
            admin.click(page.locator("main").get_by_role("link", name="编辑").first)
        if change == "supervised":
            units = page.locator("fieldset", has_text="监督的单位")
            for squad in SQUADS:
                units.get_by_label(re.compile(squad)).check()
        else:
            page.locator("fieldset", has_text="涉密知悉范围").get_by_label("个人隐私").check()
        admin.click(page.locator("main").get_by_role("button", name="保存", exact=True))
        expect(page.locator(".message, .messages").first).to_be_visible()
    set_up_seconds = time.monotonic() - started

    # the officer so created works: his own password, an upload, a copy request
    worker = new_page(browser, site, PHONE)
    first_sign_in(worker, officer[1], passwords[officer[1]])
    clip = media.make_video(tmp_path / "现场检查录像.mp4", seconds=3, variant=3)
    worker.nav(re.compile("^上传"))
    worker.pick_files(worker.page.locator("input[type=file]"), str(clip))
    worker.click(worker.page.get_by_role("button", name=re.compile("^上传")))
    expect(worker.page.get_by_text("已导入").first).to_be_visible(timeout=SLOW_MS)
    worker.click(worker.page.locator("#result").get_by_role("link", name=clip.name).first)
    worker.click(worker.page.get_by_role("link", name=re.compile("申请复制")).first)
    worker.fill(worker.page.locator("[name=reason]"), "当事人申请行政复议，需提供现场录像")
    worker.click(worker.page.get_by_role("button", name="提交申请"))
    number = re.search(r"[A-Z]{2}-\d{4}-\d{4}", worker.page.locator("h1").inner_text()).group(0)

    # his unit head, also created by the roster, approves it from 待办
    boss = new_page(browser, site)
    first_sign_in(boss, head[1], passwords[head[1]])
    boss.nav(re.compile("^待办"))
    task = boss.page.locator("main .card", has_text=number).first
    expect(task).to_be_visible(timeout=SLOW_MS)
    decision = task.get_by_role("button", name="同意", exact=True)
    if not decision.count():
        boss.click(task.get_by_role("link").first)
        decision = boss.page.get_by_role("button", name="同意", exact=True)
    boss.click(decision)
    expect(boss.page.locator(".message, .messages").first).to_be_visible()
    worker.page.reload()
    expect(worker.page.locator("main")).to_contain_text("已批准", timeout=SLOW_MS)

    line = (
        f"new_agency: set-up through pages (first admin, two-factor, profile, 2 units, "
        f"200-person roster refused then imported, a supervisor, a clearance) "
        f"{set_up_seconds:.0f} s; with the officer's upload and request and their approval "
        f"{time.monotonic() - started:.0f} s\n"
    )
    site.failed = False
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with open(REPORT, "a", encoding="utf-8") as out:
        out.write(line)
    print(line, end="")
