"""Personal API tokens (issue 18 §2, §5): made on one's own page and shown once, kept only as a
hash, used as `Authorization: Bearer …`, revoked, rotated, expiring; a system administrator
revokes another's; HTTP Basic refused for a role that must sign in with two factors and kept
for everybody else."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from avrecords.agency import api_tokens
from avrecords.audit.models import AuditEntry
from avrecords.lib.refusals import Invalid, NotFound
from avrecords.org.models import ApiToken
from tests.conftest import PASSWORD, client_for

REQUIRED = override_settings(AVRECORDS_TWO_FACTOR_ROLES=["sysadmin", "leader"])
PAGE = "/account/api-tokens/"
API = "/api/v1/recordings"


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def basic(username: str) -> Client:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def made_on_the_page(client: Client, name: str = "人事系统同步") -> str:
    """The secret the page shows once after 创建令牌."""
    response = client.post(PAGE, {"name": name, "days": "365"})
    assert response.status_code == 302
    page = client.get(PAGE).content.decode()
    start = page.index('value="avr_') + len('value="')
    return page[start : page.index('"', start)]


# --- making one ---------------------------------------------------------------------------


def test_it_shows_the_secret_once_and_keeps_only_its_hash(org):
    client = client_for(org.officer)
    secret = made_on_the_page(client)
    token = ApiToken.objects.get(user=org.officer)
    assert secret.startswith("avr_") and len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8] and token.name == "人事系统同步"
    assert secret not in {token.name, token.prefix, token.digest}
    assert (token.expires_at - token.created_at).days == 365
    again = client.get(PAGE).content.decode()
    assert secret not in again and "人事系统同步" in again and token.prefix in again
    entry = AuditEntry.objects.get(action="agency.api_token_create")
    assert entry.actor_id == org.officer.pk and secret not in entry.summary + str(entry.detail)


def test_it_refuses_a_token_without_a_name_or_too_long_under_the_field(org):
    client = client_for(org.officer)
    response = client.post(PAGE, {"name": " ", "days": "365"})
    assert response.status_code == 400 and "请填写令牌名称" in response.content.decode()
    response = client.post(PAGE, {"name": "办案系统", "days": "5000"})
    assert (
        response.status_code == 400 and "有效天数应在 1 至 730 天之间" in response.content.decode()
    )
    assert not ApiToken.objects.exists()


def test_it_shows_nobody_else_his_tokens(org):
    made = api_tokens.create(org.officer, "张伟的执法证核验")
    page = client_for(org.officer2).get(PAGE).content.decode()
    assert "张伟的执法证核验" not in page and made.token.prefix not in page
    with pytest.raises(NotFound):
        api_tokens.revoke(org.officer2, made.token.pk)
    response = client_for(org.officer2).post(PAGE + "revoke", {"token": made.token.pk})
    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


# --- using it -----------------------------------------------------------------------------


def test_a_token_calls_the_api_as_its_person_and_notes_when(org):
    made = api_tokens.create(org.officer, "办案系统")
    response = bearer(made.secret).get(API)
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    response = bearer(made.secret).post("/api/v1/units", {"name": "执法三中队"}, "application/json")
    assert response.status_code == 403  # 张伟 may not create units


def test_a_system_administrators_token_acts_as_him_without_a_csrf_token(org):
    made = api_tokens.create(org.sysadmin, "人事系统同步")
    body = {"name": "执法三中队", "parent_id": org.bureau.pk}
    response = bearer(made.secret).post("/api/v1/units", body, "application/json")
    assert response.status_code == 201 and response.json()["name"] == "执法三中队"
    assert AuditEntry.objects.get(action="agency.unit_create").actor_id == org.sysadmin.pk


def test_last_use_is_written_at_most_once_a_minute(org):
    made = api_tokens.create(org.officer, "办案系统")
    bearer(made.secret).get(API)
    first = ApiToken.objects.get().last_used_at
    bearer(made.secret).get(API)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    bearer(made.secret).get(API)
    assert ApiToken.objects.get().last_used_at > first


@pytest.mark.parametrize(
    ("secret", "words"),
    [("avr_nothing-like-it", "接口令牌无效"), ("not-even-ours", "接口令牌无效")],
)
def test_an_unknown_token_is_refused_401_in_chinese(org, secret, words):
    response = bearer(secret).get(API)
    assert response.status_code == 401 and words in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_no_longer_opens_the_api(org):
    client = client_for(org.officer)
    secret = made_on_the_page(client)
    token = ApiToken.objects.get()
    response = client.post(PAGE + "revoke", {"token": token.pk})
    assert response.status_code == 302
    response = bearer(secret).get(API)
    assert response.status_code == 401 and "接口令牌已撤销" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="agency.api_token_revoke").count() == 1


def test_an_expired_token_no_longer_opens_the_api(org):
    made = api_tokens.create(org.officer, "办案系统", 30)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(made.secret).get(API)
    assert response.status_code == 401 and "接口令牌已过期" in response.json()["detail"]


def test_a_disabled_persons_token_opens_nothing(org):
    made = api_tokens.create(org.officer, "办案系统")
    org.officer.is_active = False
    org.officer.save()
    response = bearer(made.secret).get(API)
    assert response.status_code == 401 and "已停用" in response.json()["detail"]


def test_a_person_who_must_change_his_password_is_refused_as_with_basic(org):
    made = api_tokens.create(org.officer, "办案系统")
    org.officer.must_change_password = True
    org.officer.save()
    assert bearer(made.secret).get(API).status_code == 403


def test_rotating_gives_a_new_secret_and_voids_the_old(org):
    client = client_for(org.officer)
    old = made_on_the_page(client)
    response = client.post(PAGE + "rotate", {"token": ApiToken.objects.get().pk})
    assert response.status_code == 302
    page = client.get(PAGE).content.decode()
    start = page.index('value="avr_') + len('value="')
    new = page[start : page.index('"', start)]
    assert new != old
    assert bearer(old).get(API).status_code == 401
    assert bearer(new).get(API).status_code == 200
    assert AuditEntry.objects.filter(action="agency.api_token_rotate").count() == 1


# --- a system administrator ---------------------------------------------------------------


def test_a_system_administrator_revokes_all_of_a_persons_tokens_from_his_page(org):
    first = api_tokens.create(org.officer, "办案系统")
    api_tokens.create(org.officer, "人事系统同步")
    page = client_for(org.sysadmin).get(f"/agency/people/{org.officer.pk}/").content.decode()
    assert "有效 2 个" in page and "撤销全部接口令牌" in page
    url = f"/account/api-tokens/people/{org.officer.pk}/revoke-all"
    response = client_for(org.sysadmin).post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/agency/people/{org.officer.pk}/"
    assert not ApiToken.objects.live().exists()
    assert bearer(first.secret).get(API).status_code == 401
    entry = AuditEntry.objects.get(action="agency.api_token_revoke")
    assert entry.actor_id == org.sysadmin.pk and "2 个" in entry.summary


def test_a_system_administrator_revokes_one_of_another_persons_tokens(org):
    made = api_tokens.create(org.officer, "办案系统")
    api_tokens.revoke(org.sysadmin, made.token.pk)
    assert ApiToken.objects.get().revoked_at is not None


def test_nobody_else_revokes_all_of_a_persons_tokens(org):
    api_tokens.create(org.officer, "办案系统")
    url = f"/account/api-tokens/people/{org.officer.pk}/revoke-all"
    assert client_for(org.admin).post(url).status_code == 403
    assert ApiToken.objects.live().count() == 1


# --- HTTP Basic and two-factor roles --------------------------------------------------------


@REQUIRED
def test_a_system_administrators_password_no_longer_opens_the_api_but_his_token_does(org):
    response = basic("xitong").get(API)
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "按规定须双因素登录的账号不能以密码调用接口，请在“接口令牌”页创建令牌"
    )
    made = api_tokens.create(org.sysadmin, "人事系统同步")
    assert bearer(made.secret).get(API).status_code == 200


@REQUIRED
def test_an_officer_keeps_http_basic(org):
    assert basic("zhangwei").get(API).status_code == 200


def test_with_no_two_factor_role_a_system_administrator_keeps_http_basic(org):
    assert basic("xitong").get(API).status_code == 200


def test_a_wrong_password_is_answered_as_before(org):
    token = base64.b64encode(b"xitong:wrong").decode()
    response = Client(HTTP_AUTHORIZATION=f"Basic {token}").get(API)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")


def test_the_service_refuses_a_name_too_long(org):
    with pytest.raises(Invalid) as refused:
        api_tokens.create(org.officer, "系" * 101)
    assert refused.value.fields == {"name": "名称不超过 100 个字"}


def test_the_openapi_document_declares_the_bearer_scheme(org):
    schemes = Client().get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerAuth"].items()


def test_the_menu_offers_the_page_to_every_role_but_officers(org):
    assert 'href="/account/api-tokens/"' in client_for(org.leader).get("/").content.decode()
    assert 'href="/account/api-tokens/"' not in client_for(org.officer).get("/").content.decode()


def test_the_api_lists_ones_own_tokens_marking_the_one_calling_never_a_secret(org):
    calling = api_tokens.create(org.officer, "办案系统", 30)
    api_tokens.create(org.officer, "人事系统同步")
    api_tokens.create(org.officer2, "王芳的系统")
    response = bearer(calling.secret).get("/api/v1/tokens")
    assert response.status_code == 200
    listed = {t["name"]: t for t in response.json()}
    assert set(listed) == {"办案系统", "人事系统同步"}
    assert listed["办案系统"]["current"] and not listed["人事系统同步"]["current"]
    assert listed["办案系统"]["state"] == "有效" and listed["办案系统"]["expires_at"]
    assert calling.secret not in response.content.decode()
    assert "digest" not in listed["办案系统"]
