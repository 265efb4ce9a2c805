"""Signing in under attack (issue 15, row 5; X1): failures are throttled per account and per
address with a lockout that refuses even the right password, refusals of locked or unknown
accounts cost no password hash, HTTP Basic is throttled the same way, sign-ins, sign-outs,
failures and lockouts are audited (never the password), and a system administrator can lift
a lock."""

from __future__ import annotations

import base64
import datetime as dt
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, User
from avrecords.recordings.uploads import UPLOAD_PATH, StrictMultiPartParser
from tests.conftest import PASSWORD, client_for

LOCKED = "登录失败次数过多，账户已暂时锁定，请 15 分钟后再试或联系系统管理员"
WRONG = "wrong-password-7"


@pytest.fixture
def people(db):
    def person(username, role):
        user = User(username=username, full_name=username, role=role)
        user.set_password(PASSWORD)
        user.save()
        return user

    return {
        "officer": person("zhangwei", Role.OFFICER),
        "officer2": person("wangfang", Role.OFFICER),
        "sysadmin": person("xitong", Role.SYSADMIN),
    }


def _sign_in(username: str, password: str, address: str = "10.1.1.1"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _api(username: str, password: str, address: str = "10.1.1.1"):
    return Client(REMOTE_ADDR=address).get("/api/v1/recordings", **_basic(username, password))


def _signed_in(client: Client) -> bool:
    return client.get("/recordings/").status_code == 200


def _actions(action: str):
    return AuditEntry.objects.filter(action=action).order_by("seq")


@pytest.fixture
def hashes():
    """Counts password hashes computed (checks and the dummy hash of unknown names)."""
    from django.contrib.auth import base_user, hashers

    with (
        mock.patch.object(base_user, "check_password", wraps=hashers.check_password) as checks,
        mock.patch.object(base_user, "make_password", wraps=hashers.make_password) as makes,
    ):
        yield lambda: checks.call_count + makes.call_count


# --- throttling and lockout -------------------------------------------------------------------


def test_it_refuses_even_the_right_password_after_five_wrong_ones(people):
    for _ in range(4):
        _, response = _sign_in("zhangwei", WRONG)
        assert response.status_code == 200
    _, fifth = _sign_in("zhangwei", WRONG)  # the fifth failure locks, and says so
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
    client, response = _sign_in("zhangwei", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not _signed_in(client)


def test_it_signs_in_normally_after_fewer_failures_than_the_limit(people):
    for _ in range(4):
        _sign_in("zhangwei", WRONG)
    client, response = _sign_in("zhangwei", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_success_clears_the_accounts_failures(people):
    for _ in range(4):
        _sign_in("zhangwei", WRONG)
    _sign_in("zhangwei", PASSWORD)
    for _ in range(4):
        _sign_in("zhangwei", WRONG)
    client, response = _sign_in("zhangwei", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_the_lock_follows_the_account_to_another_address(people):
    for n in range(5):
        _sign_in("zhangwei", WRONG, address=f"10.2.0.{n}")
    _, response = _sign_in("zhangwei", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429


def test_it_locks_an_address_that_tries_many_accounts(people, settings):
    # 30 failures from one address, spread over names so that no account reaches its limit
    for n in range(30):
        _sign_in(f"guess{n % 10}", WRONG, address="10.3.3.3")
    _, response = _sign_in("wangfang", PASSWORD, address="10.3.3.3")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    client, response = _sign_in("wangfang", PASSWORD, address="10.4.4.4")
    assert response.status_code == 302 and _signed_in(client)


def test_the_lock_lifts_by_itself_after_the_cool_off(people):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    client, response = _sign_in("zhangwei", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_it_says_how_many_minutes_are_left(people):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=11, seconds=30))
    _, response = _sign_in("zhangwei", PASSWORD)
    assert "请 4 分钟后再试或联系系统管理员" in response.content.decode()


def test_a_locked_account_is_refused_without_hashing_a_password(people, hashes):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    before = hashes()
    for _ in range(20):
        assert _sign_in("zhangwei", PASSWORD)[1].status_code == 429
    assert hashes() == before


def test_an_unknown_user_name_is_refused_without_hashing_a_password(people, hashes):
    _, response = _sign_in("nobody", WRONG)
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert hashes() == 0


def test_a_deactivated_account_is_refused_without_hashing_a_password(people, hashes):
    User.objects.filter(username="wangfang").update(is_active=False)
    assert _api("wangfang", PASSWORD).status_code == 401
    assert hashes() == 0


# --- HTTP Basic -------------------------------------------------------------------------------


def test_http_basic_is_locked_out_the_same_way(people):
    for _ in range(4):
        assert _api("zhangwei", WRONG).status_code == 401
    assert _api("zhangwei", WRONG).status_code == 429
    response = _api("zhangwei", PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED}
    assert "WWW-Authenticate" not in response


def test_basic_and_web_failures_count_together(people):
    for _ in range(3):
        _api("zhangwei", WRONG)
    for _ in range(2):
        _sign_in("zhangwei", WRONG)
    assert _api("zhangwei", PASSWORD).status_code == 429


def test_a_failed_basic_upload_is_refused_without_parsing_its_body(people):
    upload = SimpleUploadedFile("3501001_350211_20260301080000.mp4", b"\0" * 100_000)
    with mock.patch.object(StrictMultiPartParser, "parse") as parse:
        response = Client(REMOTE_ADDR="10.1.1.1").post(
            UPLOAD_PATH, {"files": upload}, **_basic("zhangwei", WRONG)
        )
    assert response.status_code == 401
    parse.assert_not_called()


# --- the audit log ----------------------------------------------------------------------------


def test_it_records_a_sign_in_and_a_sign_out(people):
    client, _ = _sign_in("zhangwei", PASSWORD)
    client.post("/logout/")
    login, logout = _actions("auth.login").get(), _actions("auth.logout").get()
    assert login.actor_id == logout.actor_id == people["officer"].pk
    assert login.ip == "10.1.1.1" and login.summary == "登录（网页）"
    assert logout.summary == "退出登录（网页）"


def test_it_records_each_failure_and_one_lockout_but_never_the_password(people):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    for _ in range(10):  # refused while locked: not recorded again
        _sign_in("zhangwei", PASSWORD)
        _api("zhangwei", WRONG)
    failures = list(_actions("auth.login_failed"))
    assert len(failures) == 5
    assert {f.object_id for f in failures} == {str(people["officer"].pk)}
    assert failures[0].summary == "登录失败（网页）：用户名 zhangwei"
    assert failures[0].ip == "10.1.1.1" and failures[0].actor_id is None
    lockout = _actions("auth.lockout").get()
    assert lockout.detail["username"] == "zhangwei" and lockout.detail["address"] == "10.1.1.1"
    assert "已锁定 15 分钟" in lockout.summary
    for text in (WRONG, PASSWORD):
        assert not AuditEntry.objects.filter(summary__contains=text).exists()
        assert not any(text in str(e.detail) for e in AuditEntry.objects.all())
        assert not any(text in a.post_data for a in AccessAttempt.objects.all())


def test_it_records_a_failed_basic_request_with_an_unknown_name(people):
    _api("nobody", WRONG)
    entry = _actions("auth.login_failed").get()
    assert entry.summary == "登录失败（接口（HTTP Basic））：用户名 nobody"
    assert entry.detail["known_user"] is False and entry.object_id == ""


# --- the system administrator lifts a lock ---------------------------------------------------


def test_a_system_administrator_sees_and_lifts_a_lock(people):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    admin = client_for(people["sysadmin"])
    page = admin.get("/account/lockouts/").content.decode()
    assert "zhangwei" in page and "解除锁定" in page
    response = admin.post("/account/lockouts/unlock", {"username": "zhangwei"}, follow=True)
    assert "已解除锁定" in response.content.decode()
    assert "当前没有被锁定的账户或地址" in response.content.decode()
    entry = _actions("auth.unlock").get()
    assert entry.actor_id == people["sysadmin"].pk
    assert entry.object_id == str(people["officer"].pk)
    assert entry.summary == "解除账户登录锁定：zhangwei"
    client, response = _sign_in("zhangwei", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_system_administrator_lifts_an_address_lock(people):
    for n in range(30):
        _sign_in(f"guess{n % 10}", WRONG, address="10.3.3.3")
    admin = client_for(people["sysadmin"])
    assert "10.3.3.3" in admin.get("/account/lockouts/").content.decode()
    admin.post("/account/lockouts/unlock", {"address": "10.3.3.3"})
    assert _actions("auth.unlock").get().summary == "解除地址登录锁定：10.3.3.3"
    assert _sign_in("wangfang", PASSWORD, address="10.3.3.3")[1].status_code == 302


def test_only_a_system_administrator_may_lift_a_lock(people):
    for _ in range(5):
        _sign_in("zhangwei", WRONG)
    officer = client_for(people["officer2"])
    assert officer.get("/account/lockouts/").status_code == 403
    assert officer.post("/account/lockouts/unlock", {"username": "zhangwei"}).status_code == 403
    assert _sign_in("zhangwei", PASSWORD)[1].status_code == 429
    assert not _actions("auth.unlock").exists()


def test_unlocking_nothing_is_refused_with_a_message(people):
    admin = client_for(people["sysadmin"])
    response = admin.post("/account/lockouts/unlock", {}, follow=True)
    assert "请选择要解除锁定的账户或地址" in response.content.decode()
    assert not _actions("auth.unlock").exists()


def test_the_test_clients_login_still_works_without_a_request(people):
    assert Client().login(username="zhangwei", password=PASSWORD)


# --- passwords and user names (row 13) --------------------------------------------------------

NEW_PASSWORD = "river-lantern-42"


def _change_password(client: Client, old: str, new: str, again: str | None = None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_it_refuses_a_password_like_1_with_the_reasons_in_chinese(people):
    response = _change_password(client_for(people["officer"]), PASSWORD, "1")
    body = response.content.decode()
    assert response.status_code == 200
    assert "密码太短，至少需要 10 个字符。" in body
    assert "这个密码太常见了。" in body and "密码只包含数字。" in body
    people["officer"].refresh_from_db()
    assert people["officer"].check_password(PASSWORD)
    assert not _actions("auth.password_change").exists()


def test_it_refuses_a_change_without_the_right_current_password(people):
    response = _change_password(client_for(people["officer"]), WRONG, NEW_PASSWORD)
    assert "你的旧密码不正确" in response.content.decode()
    people["officer"].refresh_from_db()
    assert people["officer"].check_password(PASSWORD)


def test_a_person_changes_his_own_password_and_it_is_recorded(people):
    browser = client_for(people["officer"])
    assert "修改密码" in browser.get("/recordings/").content.decode()  # in the user menu
    response = _change_password(browser, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(browser)  # still signed in where he changed it
    assert _sign_in("zhangwei", PASSWORD)[1].status_code == 200  # the old one is gone
    assert _sign_in("zhangwei", NEW_PASSWORD)[1].status_code == 302
    entry = _actions("auth.password_change").get()
    assert entry.actor_id == people["officer"].pk and entry.summary == "修改本人登录密码"
    assert NEW_PASSWORD not in str(entry.detail) + entry.summary


def test_the_demo_seed_and_test_passwords_pass_the_rules():
    from django.contrib.auth.password_validation import validate_password

    from avrecords.demo.loader import DEMO_PASSWORD
    from avrecords.demo.seed import PASSWORD as SEED_PASSWORD

    for password in (PASSWORD, DEMO_PASSWORD, SEED_PASSWORD):
        validate_password(password)


CYRILLIC_A = "\u0430"  # а, looks like the Latin a


@pytest.mark.parametrize(
    "name",
    [f"zh{CYRILLIC_A}ngwei", "ZhangWei", "zhangwe1", "zhangwei\u00a0", "ｚｈａｎｇｗｅｉ"],
    ids=["cyrillic-a", "capitals", "one-for-i", "nbsp", "fullwidth"],
)
def test_a_name_that_looks_like_an_existing_one_is_refused(people, name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        User(username=name, role=Role.OFFICER).full_clean(exclude=["password"])
    messages = refused.value.message_dict["username"]
    assert messages in (
        ["用户名与已有用户名“zhangwei”形近，容易混淆，请另选一个"],
        ["用户名只能由英文字母、数字、汉字及 . _ - @ 组成（不能使用其他文字的字母或空格）"],
    )


@pytest.mark.parametrize("name", ["lisi", "li.si_2", "张伟", "zhang-wei@sc"])
def test_a_distinct_name_is_accepted(people, name):
    User(username=name, role=Role.OFFICER).full_clean(exclude=["password"])


def test_the_admin_site_refuses_a_cyrillic_look_alike(people, settings):
    settings.AVRECORDS_ADMIN_WRITABLE = True  # the admin adds people only when opened (issue 18)
    root = User.objects.create_superuser("root", password=PASSWORD)
    response = client_for(root).post(
        "/admin/org/user/add/",
        {
            "username": f"zh{CYRILLIC_A}ngwei",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "用户名只能由英文字母、数字、汉字及 . _ - @ 组成" in response.content.decode()
    assert not User.objects.filter(username=f"zh{CYRILLIC_A}ngwei").exists()


def test_createsuperuser_refuses_a_look_alike(people, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    with pytest.raises(CommandError, match="形近"):
        call_command("createsuperuser", interactive=False, username="Zhangwei", email="")
    assert not User.objects.filter(username="Zhangwei").exists()
