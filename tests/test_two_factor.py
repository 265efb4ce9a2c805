"""Two-factor sign-in (issue 18 §5): enrolment with a TOTP computed here, the code after the
password, recovery codes, the bound on wrong codes, the reset by another system
administrator, who must and who need not, the API, and AVRECORDS_TWO_FACTOR_ROLES.

The test settings require nobody (so `force_login` elsewhere stays one step); these tests
say who must with `override_settings`."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from avrecords import config
from avrecords.agency import two_factor
from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role
from tests.conftest import PASSWORD, client_for

REQUIRED = override_settings(AVRECORDS_TWO_FACTOR_ROLES=["sysadmin", "leader"])
VERIFY = "/login/two-factor/"
ENROL = "/account/two-factor/enrol"
CODES = "/account/two-factor/recovery-codes"


def code_for(device: TOTPDevice) -> str:
    """The authenticator's code: the current step, or the one after the last used (a code
    is accepted once; the device allows one step either way)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time()
    now = totp.t()
    step = max(now, device.last_t + 1)
    totp.time += (step - now) * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500000) % 1000000:06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A person enrolled as the enrolment page does it, with his recovery codes."""
    two_factor.start_enrolment(user)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    codes = two_factor.confirm_enrolment(user, code_for(device))
    return TOTPDevice.objects.get(user=user), codes


def signed_in_with_password(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def actions(user) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(user.pk), action__startswith="agency.two_factor")
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- who must --------------------------------------------------------------------------------


@REQUIRED
@pytest.mark.parametrize(
    "path", ["/", "/recordings/", "/search/?q=1", "/account/two-factor/", "/agency/people/1/"]
)
def test_it_sends_a_leader_who_must_to_enrolment_from_every_page(org, path):
    response = client_for(org.leader).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL + "?next=")


@REQUIRED
def test_it_sends_a_system_administrator_who_must_to_enrolment_and_back_after(org):
    client = client_for(org.sysadmin)
    assert client.get("/equipment/").status_code == 302
    page = client.get(ENROL + "?next=/equipment/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=org.sysadmin, confirmed=False)
    response = client.post(ENROL, {"token": code_for(device), "next": "/equipment/"})
    assert response.status_code == 302
    assert response["Location"].startswith(CODES)
    assert client.get("/equipment/").status_code == 200


@REQUIRED
def test_it_lets_an_officer_who_need_not_work_without_a_second_factor(org):
    client = signed_in_with_password(org.officer)
    assert client.get("/").status_code == 200
    assert client.get("/account/two-factor/").content.decode().count("未启用") >= 1


@override_settings(AVRECORDS_TWO_FACTOR_ROLES=[])
def test_it_asks_nobody_when_no_role_must(org):
    assert client_for(org.sysadmin).get("/").status_code == 200


def test_the_roles_the_settings_know_are_the_roles_of_the_product():
    from avrecords import settings as product_settings

    assert set(product_settings._ROLE_CODES) == set(Role.values)


# --- enrolment ---------------------------------------------------------------------------


@REQUIRED
def test_enrolment_shows_the_qr_code_and_the_key_and_then_ten_recovery_codes_once(org):
    client = client_for(org.leader)
    page = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=org.leader, confirmed=False)
    assert "<svg" in page and "<script" not in page.split("<main>")[1]
    assert "AVRecords（某市市场监督管理局）: lingdao" in page
    key = two_factor.provisioning(device).key_groups
    assert len(key) == 8 and all(len(g) == 4 for g in key)
    assert " ".join(key) in page
    assert "待办" not in page  # no menu before the second factor

    wrong = client.post(ENROL, {"token": wrong_code(device)})
    assert wrong.status_code == 400
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=org.leader, confirmed=True).exists()

    done = client.post(ENROL, {"token": code_for(device)})
    assert done.status_code == 302
    shown = client.get(done["Location"]).content.decode()
    codes = StaticToken.objects.filter(device__user=org.leader).values_list("token", flat=True)
    assert len(codes) == 10 and all(c in shown for c in codes)
    text = client.get("/account/two-factor/recovery-codes.txt")
    assert text["Content-Disposition"].startswith("attachment")
    assert all(c in text.content.decode() for c in codes)
    client.post("/account/two-factor/recovery-codes/done")
    again = client.get(CODES).content.decode()
    assert not any(c in again for c in codes)
    assert "只显示" not in again and "只在生成后显示一次" in again
    assert actions(org.leader) == ["agency.two_factor_enrol"]
    assert "已启用" in two_factor.state_of(org.leader)


def test_reloading_the_enrolment_page_keeps_the_key_the_phone_holds(org):
    client = client_for(org.officer)
    client.get(ENROL)
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=org.officer).count() == 1


# --- the code after the password ------------------------------------------------------------


def test_it_asks_an_enrolled_person_for_a_code_after_the_password(org):
    device, _ = enrolled(org.officer)
    client = signed_in_with_password(org.officer)
    response = client.get("/recordings/")
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=%2Frecordings%2F"
    page = client.get(response["Location"])
    assert "双因素登录验证" in page.content.decode()
    signed = client.post(VERIFY, {"token": code_for(device), "next": "/recordings/"})
    assert signed.status_code == 302 and signed["Location"] == "/recordings/"
    assert client.get("/recordings/").status_code == 200
    assert actions(org.officer)[-1] == "agency.two_factor_verify"


def test_it_refuses_a_wrong_code_and_records_it(org):
    device, _ = enrolled(org.officer)
    client = signed_in_with_password(org.officer)
    response = client.post(VERIFY, {"token": wrong_code(device)})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert client.get("/").status_code == 302
    assert actions(org.officer)[-1] == "agency.two_factor_failed"


def test_a_recovery_code_signs_in_once(org):
    _, codes = enrolled(org.officer)
    first = signed_in_with_password(org.officer)
    response = first.post(VERIFY, {"token": codes[0].upper()})
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert two_factor.recovery_codes_left(org.officer) == 9
    assert (
        "剩余 9 个" in AuditEntry.objects.filter(action="agency.two_factor_verify").last().summary
    )

    second = signed_in_with_password(org.officer)
    assert second.post(VERIFY, {"token": codes[0]}).status_code == 400
    assert second.get("/").status_code == 302


def test_it_locks_the_code_after_five_wrong_ones_even_across_new_sign_ins(org):
    device, _ = enrolled(org.officer)
    for _ in range(5):
        client = signed_in_with_password(org.officer)  # the password again: no new count
        response = client.post(VERIFY, {"token": wrong_code(device)})
    assert response.status_code == 429
    assert "15 分钟后再试" in response.content.decode()
    right = client.post(VERIFY, {"token": code_for(device)})
    assert right.status_code == 429  # not even checked
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="agency.two_factor_lockout").count() == 1

    later = timezone.now() - dt.timedelta(minutes=settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES)
    TOTPDevice.objects.filter(user=org.officer).update(throttling_failure_timestamp=later)
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_right_code_typed_just_after_a_wrong_one_is_accepted(org):
    device, _ = enrolled(org.officer)
    client = signed_in_with_password(org.officer)
    client.post(VERIFY, {"token": wrong_code(device)})
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302


def test_the_code_page_sends_on_whoever_owes_no_code(org):
    response = client_for(org.officer).get(VERIFY + "?next=/recordings/")
    assert response.status_code == 302 and response["Location"] == "/recordings/"


@REQUIRED
def test_an_enrolled_person_cannot_enrol_again_before_giving_a_code(org):
    enrolled(org.leader)
    response = client_for(org.leader).get(ENROL)
    assert response.status_code == 302 and response["Location"] == VERIFY


# --- the API ------------------------------------------------------------------------------


@REQUIRED
def test_the_api_refuses_a_session_that_owes_a_code_403_in_chinese(org):
    response = client_for(org.leader).get("/api/v1/recordings")
    assert response.status_code == 403
    assert "双因素" in response.json()["detail"]


@REQUIRED
def test_the_api_answers_http_basic_by_its_password_alone_for_a_role_that_need_not(org):
    """Station scripts sign each request with HTTP Basic: no session, so no second factor
    for a role that need not use one (a role that must calls with a personal API token:
    tests/test_api_tokens.py)."""
    import base64

    token = base64.b64encode(f"zhangwei:{PASSWORD}".encode()).decode()
    response = Client().get("/api/v1/recordings", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200


# --- one's own page ---------------------------------------------------------------------


def test_new_recovery_codes_need_a_current_code_and_void_the_old(org):
    device, old = enrolled(org.officer)
    client = client_for(org.officer)
    client.force_login(org.officer)
    client.post(VERIFY, {"token": old[0]})  # a verified session
    refused = client.post(CODES, {"token": wrong_code(device)})
    assert refused.status_code == 400
    assert set(old[1:]) <= set(StaticToken.objects.values_list("token", flat=True))
    assert client.post(CODES, {"token": code_for(device)}).status_code == 302
    new = set(StaticToken.objects.filter(device__user=org.officer).values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
    assert all(c in client.get(CODES).content.decode() for c in new)
    assert actions(org.officer)[-1] == "agency.two_factor_codes"


def test_an_officer_may_disable_his_own_second_factor(org):
    _, codes = enrolled(org.officer)
    client = signed_in_with_password(org.officer)
    client.post(VERIFY, {"token": codes[0]})
    assert client.post("/account/two-factor/disable").status_code == 302
    assert not TOTPDevice.objects.filter(user=org.officer).exists()
    assert not StaticDevice.objects.filter(user=org.officer).exists()
    assert actions(org.officer)[-1] == "agency.two_factor_disable"
    assert two_factor.state_of(org.officer) == "未启用"


@REQUIRED
def test_a_leader_who_must_cannot_disable_it(org):
    _, codes = enrolled(org.leader)
    client = signed_in_with_password(org.leader)
    client.post(VERIFY, {"token": codes[0]})
    response = client.post("/account/two-factor/disable", follow=True)
    assert "不能停用" in response.content.decode()
    assert TOTPDevice.objects.filter(user=org.leader).exists()
    assert two_factor.state_of(org.leader).startswith("已启用（")


@REQUIRED
def test_a_password_an_administrator_set_is_changed_first_then_he_enrols_with_no_loop(org):
    org.leader.must_change_password = True
    org.leader.save()
    client = client_for(org.leader)
    assert client.get("/")["Location"].startswith(ENROL)
    assert client.get(ENROL)["Location"] == "/account/password/"
    assert client.get("/account/password/").status_code == 200
    new = "Xin-mima-2026-lingdao"
    changed = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    assert client.get(changed["Location"])["Location"].startswith(ENROL)
    assert client.get(ENROL).status_code == 200


# --- state and reset ---------------------------------------------------------------------


@REQUIRED
def test_state_of_says_whether_enabled_since_when_and_whether_required(org):
    assert two_factor.state_of(org.leader) == "未启用（按规定须启用）"
    assert two_factor.state_of(org.officer) == "未启用"
    enrolled(org.officer)
    today = timezone.localdate()
    assert two_factor.state_of(org.officer) == f"已启用（{today:%Y-%m-%d} 启用）"


@REQUIRED
def test_another_system_administrator_resets_a_lost_phone_and_he_enrols_again(org):
    device, codes = enrolled(org.leader)
    leader = signed_in_with_password(org.leader)
    leader.post(VERIFY, {"token": codes[0]})
    assert leader.get("/").status_code == 200

    admin = client_for(org.sysadmin)
    admin.force_login(org.sysadmin)
    sysadmin_device, admin_codes = enrolled(org.sysadmin)
    admin.post(VERIFY, {"token": admin_codes[0]})
    url = f"/agency/people/{org.leader.pk}/two-factor/reset"
    page = admin.get(url).content.decode()
    assert "已启用" in page and "data-confirm" in page
    assert admin.post(url).status_code == 302

    assert not TOTPDevice.objects.filter(user=org.leader).exists()
    assert not StaticToken.objects.filter(device__user=org.leader).exists()
    entry = AuditEntry.objects.get(action="agency.two_factor_reset")
    assert (entry.actor_id, entry.object_id) == (org.sysadmin.pk, str(org.leader.pk))
    assert "郑国华" in entry.summary
    assert leader.get("/")["Location"].startswith(ENROL)  # his verified session too


@REQUIRED
def test_a_system_administrator_cannot_reset_his_own(org):
    _, codes = enrolled(org.sysadmin)
    admin = client_for(org.sysadmin)
    admin.post(VERIFY, {"token": codes[0]})
    url = f"/agency/people/{org.sysadmin.pk}/two-factor/reset"
    assert "请由另一名系统管理员办理" in admin.get(url).content.decode()
    response = admin.post(url)
    assert response.status_code == 403
    assert "请由另一名系统管理员办理" in response.content.decode()
    assert TOTPDevice.objects.filter(user=org.sysadmin).exists()
    assert not AuditEntry.objects.filter(action="agency.two_factor_reset").exists()


def test_nobody_but_a_system_administrator_may_reset(org):
    enrolled(org.officer)
    for who in (org.leader, org.admin, org.bureau_admin):
        response = client_for(who).post(f"/agency/people/{org.officer.pk}/two-factor/reset")
        assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=org.officer).exists()


# --- AVRECORDS_TWO_FACTOR_ROLES ------------------------------------------------------------

KNOWN = tuple(Role.values)
DEFAULT = ["sysadmin", "leader"]


@pytest.mark.parametrize(
    ("raw", "roles"),
    [
        (None, DEFAULT),
        ("", DEFAULT),  # empty counts as unset, as for every AVRECORDS_* variable
        ("none", []),
        ("NONE", []),
        ("sysadmin", ["sysadmin"]),
        (" leader , unit_head ", ["leader", "unit_head"]),
    ],
)
def test_the_roles_variable_is_parsed(monkeypatch, tmp_path, raw, roles):
    monkeypatch.delenv("AVRECORDS_TWO_FACTOR_ROLES", raising=False)
    if raw is not None:
        monkeypatch.setenv("AVRECORDS_TWO_FACTOR_ROLES", raw)
    assert config.two_factor_roles(tmp_path, DEFAULT, KNOWN) == roles


@pytest.mark.parametrize("raw", ["boss", "leader,boss", ",", "系统管理员"])
def test_a_bad_roles_value_stops_the_start_naming_the_variable(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("AVRECORDS_TWO_FACTOR_ROLES", raw)
    with pytest.raises(config.ConfigError) as refused:
        config.two_factor_roles(tmp_path, DEFAULT, KNOWN)
    message = str(refused.value)
    assert message.startswith("AVRECORDS_TWO_FACTOR_ROLES: unknown role code")
    assert "双因素登录的角色代码无效" in message


def test_a_demo_installation_keeps_its_own_choice_and_the_variable_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("AVRECORDS_TWO_FACTOR_ROLES", raising=False)
    (tmp_path / config.TWO_FACTOR_ROLES_FILE).write_text("none\n", encoding="utf-8")
    assert config.two_factor_roles(tmp_path, DEFAULT, KNOWN) == []
    monkeypatch.setenv("AVRECORDS_TWO_FACTOR_ROLES", "leader")
    assert config.two_factor_roles(tmp_path, DEFAULT, KNOWN) == ["leader"]
    (tmp_path / config.TWO_FACTOR_ROLES_FILE).write_text("boss", encoding="utf-8")
    monkeypatch.delenv("AVRECORDS_TWO_FACTOR_ROLES")
    with pytest.raises(config.ConfigError, match=re.escape(config.TWO_FACTOR_ROLES_FILE)):
        config.two_factor_roles(tmp_path, DEFAULT, KNOWN)


def test_the_demo_keeps_its_choice_of_nobody_unless_the_file_says_otherwise(monkeypatch, tmp_path):
    from avrecords.demo.management.commands.avdemo import keep_demo_two_factor_choice

    monkeypatch.delenv("AVRECORDS_TWO_FACTOR_ROLES", raising=False)

    choice = keep_demo_two_factor_choice(tmp_path)
    assert config.two_factor_roles(tmp_path, DEFAULT, KNOWN) == []
    choice.write_text("sysadmin", encoding="utf-8")  # an operator's own choice stays
    keep_demo_two_factor_choice(tmp_path)
    assert config.two_factor_roles(tmp_path, DEFAULT, KNOWN) == ["sysadmin"]


@REQUIRED
def test_the_code_pages_show_no_menu_and_a_fragment_sends_the_page_not_itself(org):
    """A person owing a code sees no menu (its links only lead back here, and its counts
    request would ask in vain); a fragment asked by another page sends that whole page to
    enrolment and back to it after; one asked by the enrolment page itself is answered empty."""
    client = client_for(org.leader)
    page = client.get(ENROL).content.decode()
    assert 'id="side-menu"' not in page and 'hx-get="/menu/counts"' not in page
    elsewhere = client.get(
        "/menu/counts",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/recordings/?page=2",
    )
    assert elsewhere["HX-Redirect"] == ENROL + "?next=%2Frecordings%2F%3Fpage%3D2"
    itself = client.get(
        "/menu/counts", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver" + ENROL
    )
    assert itself.status_code == 204
