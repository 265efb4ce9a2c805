"""A person's page (issue 18 §1): who he is, where he stands, what he holds and what waits for
him, what was done by him or to him — in Chinese words — and the buttons that lead to the
pages that act on him."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from avrecords.agency import person_page
from avrecords.audit import services as audit
from avrecords.compliance import clearance
from avrecords.compliance.models import Finding
from avrecords.org import suspensions
from avrecords.org.models import Secrecy
from tests.conftest import client_for


def _page(org, person=None, who=None) -> str:
    person = person or org.officer
    response = client_for(who or org.sysadmin).get(f"/agency/people/{person.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _resolves(name: str, pk: int) -> bool:
    try:
        reverse(name, args=[pk])
    except NoReverseMatch:
        return False
    return True


def test_it_shows_who_he_is_and_what_he_holds(org):
    org.officer.phone = "13800000001"
    org.officer.secrecy_clearances = [Secrecy.PRIVACY]
    org.officer.save()
    page = _page(org)
    for text in (
        "张伟",
        "35020019001",
        "350211",
        "执法一中队",
        "执法人员",
        "个人隐私",
        "13800000001",
    ):
        assert text in page, text
    assert '<span class="badge">在岗</span>' in page
    assert "3501001" in page  # the camera he was issued
    assert "没有待办事项" in page
    assert "privacy" not in page and "officer<" not in page  # words, never codes


def test_it_counts_his_open_items_by_group_without_linking_to_them(org):
    finding = Finding.objects.create(
        key="test:gap", kind="gap", unit=org.squad1, officer=org.officer, summary="中断 5 分钟"
    )
    page = _page(org)
    assert "需要我说明或核对的合规问题：1 项" in page
    assert f"/compliance/findings/{finding.pk}" not in page


def test_it_shows_his_clearance_checklist_and_what_he_is_going_through(org):
    clearance.start(org.admin, org.officer, "leave", org.officer2, reason="辞职")
    page = _page(org)
    assert '<span class="badge">离职交接中</span>' in page
    assert "✘</strong> 设备 3501001" in page  # his camera is not back yet
    assert "资料交接人：王芳" in page
    assert "办理调动" not in page and "办理离职" not in page  # one clearance at a time


def test_it_shows_his_suspension(org):
    today = timezone.localdate()
    suspensions.record(org.officer, today, today + dt.timedelta(days=30), "停止执法工作一个月")
    assert "张伟 被停止执法工作至" in _page(org)


def test_it_lists_what_was_done_by_him_or_to_him_in_words(org):
    clearance.start(org.admin, org.officer, "leave", org.officer2, reason="辞职")
    clearance.start(org.admin, org.other_officer, "leave", org.officer2, reason="退休")
    page = _page(org)
    assert "开始离岗交接" in page and "张伟 离职/调离交接" in page
    assert "杨军 离职/调离交接" not in page  # about someone else
    assert "clearance.start" not in page


def test_it_keeps_the_last_twenty_entries(org):
    for n in range(25):
        audit.record("auth.password_change", actor=org.officer, obj=org.officer, summary=f"第{n}次")
    rows = person_page.audit_rows(org.officer)
    assert len(rows) == person_page.AUDIT_ROWS == 20
    assert rows[0].summary == "第24次" and rows[0].action == "修改密码"


def test_it_offers_to_unlock_a_locked_account_through_the_lockouts_page(org):
    assert 'action="/account/lockouts/unlock"' not in _page(org)
    AccessAttempt.objects.create(
        username=org.officer.username,
        ip_address="10.0.0.8",
        user_agent="test",
        attempt_time=timezone.now(),
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    page = _page(org)
    assert "登录已锁定" in page
    assert 'action="/account/lockouts/unlock"' in page
    assert f'name="username" value="{org.officer.username}"' in page
    assert 'name="next" value="/agency/people/' in page
    here = f"/agency/people/{org.officer.pk}/"
    response = client_for(org.sysadmin).post(
        "/account/lockouts/unlock", {"username": org.officer.username, "next": here}
    )
    assert response.status_code == 302 and response["Location"] == here  # back on his page
    page = _page(org)
    assert "登录已锁定" not in page and 'action="/account/lockouts/unlock"' not in page
    assert "解除账户登录锁定：zhangwei" in page  # the unlock is in his history


def test_its_buttons_lead_to_the_pages_that_act(org):
    page = _page(org)
    for name, word in (("agency:person_edit", "编辑"), ("agency:person_password", "重置密码")):
        if _resolves(name, org.officer.pk):
            assert f'href="{reverse(name, args=[org.officer.pk])}"' in page, word
        else:
            assert f">{word}</a>" not in page
    leave = f"/equipment/clearances/new?person={org.officer.pk}&amp;kind=leave"
    assert f'href="{leave}">办理离职</a>' in page
    assert f'action="/agency/people/{org.officer.pk}/transfer"' in page
    # the departure page opens with him chosen
    start = client_for(org.sysadmin).get(leave.replace("&amp;", "&")).content.decode()
    assert f'<input type="hidden" name="person" value="{org.officer.pk}">' in start
    assert '<option value="leave" selected>' in start


def test_a_departed_person_is_said_to_have_left(org):
    item = clearance.start(org.admin, org.officer2, "leave", org.officer, reason="辞职")
    clearance.complete(org.admin, item)
    page = _page(org, org.officer2)
    assert '<span class="badge">已离职</span>' in page
    assert "办理调动" not in page


@pytest.mark.parametrize("who", ["officer", "admin", "head2"])
def test_it_refuses_those_who_do_not_administer_people(org, who):
    response = client_for(getattr(org, who)).get(f"/agency/people/{org.officer.pk}/")
    assert response.status_code == 403
    assert "无权" in response.content.decode()


def test_it_answers_404_for_someone_who_does_not_exist(org):
    assert client_for(org.sysadmin).get("/agency/people/999999/").status_code == 404


def test_it_shows_his_two_factor_state_and_offers_another_administrator_its_reset(org):
    page = _page(org)
    assert "双因素登录" in page and "未启用" in page
    assert "重置双因素登录" not in page  # nothing to reset
    TOTPDevice.objects.create(user=org.officer, name="手机", confirmed=True)
    page = _page(org)
    assert "已启用" in page
    reset = f'href="/agency/people/{org.officer.pk}/two-factor/reset">重置双因素登录</a>'
    assert reset in page
