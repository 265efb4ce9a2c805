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
    assert (
        "未读" not in officer.get("/messages/").content.decode().split("<h1>")[1].split("</h1>")[0]
    )


def test_it_also_emails_when_switched_on(org, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    settings.AVRECORDS_EMAIL_NOTICES = True
    org.officer.email = "zhangwei@example.gov.cn"
    org.officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的复制申请已批准", "同意", "/access/1/")
        notify(org.officer2, "无邮箱的人只收到站内消息")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["zhangwei@example.gov.cn"], "您的复制申请已批准")
    ]
    assert unread_count(org.officer2) == 1


def test_a_mail_failure_is_logged_not_raised(
    org, settings, caplog, django_capture_on_commit_callbacks
):
    settings.AVRECORDS_EMAIL_NOTICES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    org.officer.email = "zhangwei@example.gov.cn"
    org.officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的复制申请已批准")
    assert unread_count(org.officer) == 1
    assert "could not email notice" in caplog.text


def test_it_is_off_by_default(org, django_capture_on_commit_callbacks):
    from django.core import mail

    org.officer.email = "zhangwei@example.gov.cn"
    org.officer.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(org.officer, "您的复制申请已批准")
    assert mail.outbox == []
