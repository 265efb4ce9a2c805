"""The shell every page shares (issue 17 §1, §7): the side menu per role, the current place
marked, counts, messages, the top bar's search box and the user's name, unit and role."""

from __future__ import annotations

import re

from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse

from avrecords import worklist
from tests.conftest import client_for, with_menu_counts


def _menu(page: str) -> str:
    return re.search(r'<nav id="side-menu"[^>]*>(.*?)</nav>', page, re.S)[1]


def _labels(page: str) -> set[str]:
    return {
        t.strip() for t in re.findall(r'(?:<a [^>]*>|class="menu-head"[^>]*>)([^<]+)', _menu(page))
    }


def _current(page: str) -> list[str]:
    return [t.strip() for t in re.findall(r'class="active" aria-current="page">([^<]+)', page)]


def test_it_shows_an_officer_only_what_he_may_use(org):
    labels = _labels(client_for(org.officer).get("/recordings/").content.decode())
    assert {"工作台", "待办", "音像记录", "记录列表", "上传", "我的设备", "使用前检查"} <= labels
    assert not {"设备台账", "执法监督", "系统管理", "导入批次", "登录锁定", "后台管理"} & labels


def test_it_shows_the_system_administrator_the_system_group(org):
    labels = _labels(client_for(org.sysadmin).get("/recordings/").content.decode())
    assert {"系统管理", "执法策略", "登录锁定", "审计锚定", "设备台账", "执法监督"} <= labels


def test_it_offers_the_admin_site_only_to_staff(org):
    assert "后台管理" not in _labels(client_for(org.sysadmin).get("/").content.decode())
    org.sysadmin.is_staff = True
    org.sysadmin.save()
    assert "后台管理" in _labels(client_for(org.sysadmin).get("/").content.decode())


def test_it_marks_the_current_entry_by_place(org):
    officer = client_for(org.officer)
    assert _current(officer.get("/recordings/").content.decode()) == ["记录列表"]
    assert _current(officer.get("/equipment/mine").content.decode()) == ["我的设备"]
    assert _current(officer.get("/equipment/checks").content.decode()) == ["使用前检查"]
    assert _current(officer.get("/").content.decode()) == ["工作台"]
    admin = client_for(org.admin)
    assert _current(admin.get(f"/equipment/devices/{org.camera.pk}/").content.decode()) == [
        "设备台账"
    ]


def test_it_keeps_the_current_group_open_and_marks_it(org):
    page = client_for(org.admin).get("/upload/").content.decode()
    group = re.search(r'<div class="menu-group open current" data-menu-group="(\w+)"', page)
    assert group and group[1] == "recordings"


def test_it_names_the_user_once_with_unit_and_role(org):
    page = client_for(org.officer).get("/").content.decode()
    assert page.count('张伟<span class="role">（执法人员 · 执法一中队）</span>') == 1
    assert page.count("执法人员") == 1
    assert "修改密码" in page and "退出" in page


def test_it_has_a_search_box_and_a_favicon(org):
    page = client_for(org.officer).get("/").content.decode()
    assert re.search(
        r'<form class="top-search" role="search" method="get" action="/search/">', page
    )
    assert 'name="q" maxlength="100"' in page
    assert 'rel="icon" type="image/svg+xml"' in page


def test_it_shows_messages_as_coloured_dismissable_bars(org, rf):
    """Messages of any page arrive in the cookie Django's fallback storage tries first."""
    storage = CookieStorage(rf.get("/"))
    storage.add(constants.SUCCESS, "已保存")
    storage.add(constants.ERROR, "保存失败")
    carrier = HttpResponse()
    storage.update(carrier)
    client = client_for(org.officer)
    client.cookies["messages"] = carrier.cookies["messages"].value
    page = client.get("/").content.decode()
    assert re.search(r'<li class="message success" role="status"><span>已保存</span>', page)
    assert re.search(r'<li class="message error" role="alert"><span>保存失败</span>', page)
    assert page.count("data-dismiss") == 2


def test_it_counts_the_officers_work_beside_todo(org):
    saved = {s.name: s for s in worklist.sources()}  # the apps' sources loaded first
    worklist._SOURCES.clear()
    try:
        worklist.register(
            "test.one",
            group="测试任务",
            tasks=lambda user: [worklist.Task("任务", "/")] if user == org.officer else [],
        )
        officer = _menu(with_menu_counts(client_for(org.officer), "/recordings/"))
        assert re.search(r'待办 <span class="count-badge">1</span>', officer)
        head = _menu(with_menu_counts(client_for(org.head2), "/recordings/"))
        assert not re.search(r"待办 <span", head)
    finally:
        worklist._SOURCES.clear()
        worklist._SOURCES.update(saved)


def _one_task_counted(asked: list):
    """A worklist of one source with one task for anyone, noting who it was asked for."""
    worklist._SOURCES.clear()
    worklist.register(
        "test.one",
        group="测试任务",
        tasks=lambda user: asked.append(user) or [worklist.Task("任务", "/")],
    )


def test_a_page_draws_its_menu_without_counting_and_asks_the_counts_once_loaded(org):
    saved, asked = dict(worklist._SOURCES), []
    try:
        _one_task_counted(asked)
        client = client_for(org.officer)
        page = client.get("/recordings/").content.decode()
        assert asked == [] and "count-badge" not in page
        assert 'hx-get="/menu/counts" hx-trigger="load"' in page
        assert '待办<span id="count-worklist-count" class="menu-count"></span>' in page
        answer = client.get("/menu/counts").content.decode()
        assert asked == [org.officer]
        for place in ("count-worklist-count", "count-top-todo"):
            assert (
                f'<span id="{place}" class="menu-count" hx-swap-oob="true"> '
                '<span class="count-badge">1</span></span>'
            ) in answer
    finally:
        worklist._SOURCES.clear()
        worklist._SOURCES.update(saved)


def test_the_workbench_counts_its_work_once_for_its_body_and_its_menu(org):
    saved, asked = dict(worklist._SOURCES), []
    try:
        _one_task_counted(asked)
        page = client_for(org.officer).get("/").content.decode()
        assert asked == [org.officer] and "/menu/counts" not in page
        assert '<span class="count-badge">1</span></span></a>' in _menu(page)  # 待办, in place
    finally:
        worklist._SOURCES.clear()
        worklist._SOURCES.update(saved)


def test_the_static_shell_files_exist():
    from django.contrib.staticfiles import finders

    for name in ("site.css", "site.js", "favicon.svg"):
        assert finders.find(f"avrecords/{name}"), name
    css = open(finders.find("avrecords/site.css"), encoding="utf-8").read()
    for rule in (".form-stack", ".actions", ".tabs a.active", "button.danger", ".empty"):
        assert rule in css, rule
    js = open(finders.find("avrecords/site.js"), encoding="utf-8").read()
    assert "data-confirm" in js and "data-label" in js


def test_it_counts_unread_messages_beside_the_message_list(org, django_capture_on_commit_callbacks):
    from avrecords.notices.services import notify

    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的查阅申请已批准")
    officer = _menu(with_menu_counts(client_for(org.officer), "/recordings/"))
    assert re.search(r'站内消息 <span class="count-badge">1</span>', officer)
    other = _menu(with_menu_counts(client_for(org.officer2), "/recordings/"))
    assert not re.search(r"站内消息 <span", other)


def test_the_top_bar_carries_the_inbox_and_messages_for_phones(org):
    """On a phone the side menu is a drawer; 待办 and 消息 stay one tap away in the top bar."""
    page = client_for(org.officer).get("/").content.decode()
    quick = re.search(r'<nav class="quick"[^>]*>(.*?)</nav>', page, re.S)
    assert quick and 'href="/todo/"' in quick[1] and 'href="/messages/"' in quick[1]
