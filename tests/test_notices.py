"""站内消息 (issue 17 §3): sent after commit, listed newest first, read on opening."""

from __future__ import annotations

import re

import pytest

from avrecords.notices.services import notify, unread_count
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_lists_a_message_bold_until_opened(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的复制申请已批准", "可以领取", "/access/", "access.approved")
    officer = client_for(org.officer)
    page = officer.get("/messages/").content.decode()
    assert "<strong>您的复制申请已批准</strong>" in page and "1 条未读" in page
    opened = officer.get(re.search(r'href="(/messages/\d+/)"', page).group(1))
    assert opened.status_code == 302 and opened.url == "/access/"
    assert unread_count(org.officer) == 0
    assert "<strong>您的复制申请已批准</strong>" not in officer.get("/messages/").content.decode()


def test_it_sends_nothing_when_the_decision_rolls_back(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notify(org.officer, "您的复制申请已批准")
    assert unread_count(org.officer) == 0


def test_it_hides_another_persons_message(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的复制申请已批准")
    pk = org.officer.notices.get().pk
    assert client_for(org.officer2).get(f"/messages/{pk}/").status_code == 404
    assert "暂无消息" in client_for(org.officer2).get("/messages/").content.decode()


def test_it_marks_everything_read(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "一")
        notify(org.officer, "二")
    officer = client_for(org.officer)
    assert officer.get("/messages/read-all").status_code == 405
    r = officer.post("/messages/read-all", follow=True)
    assert "已将 2 条消息标为已读" in r.content.decode()
    assert "未读" not in officer.get("/messages/").content.decode().split("<h1>")[1].split("</h1>")[0]
