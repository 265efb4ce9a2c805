"""A password an administrator set is changed before anything else (issue 18 §1): every page
sends the person to the password change page, saying why; the API refuses him in Chinese;
the change page, signing out and static files stay open; his own new password lifts it."""

from __future__ import annotations

import base64

import pytest
from django.contrib.messages import get_messages

from avrecords.org.models import User
from tests.conftest import PASSWORD, client_for

NEW_PASSWORD = "Fz-新密码-2026-lan"
REDIRECTED = "/account/password/"


@pytest.fixture
def reset(org) -> User:
    org.officer.must_change_password = True
    org.officer.save(update_fields=["must_change_password"])
    return org.officer


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.mark.parametrize("path", ["/", "/recordings/", "/todo/", "/equipment/mine", "/admin/"])
def test_it_sends_him_to_the_password_change_page_from_every_page(reset, path):
    response = client_for(reset).get(path)
    assert response.status_code == 302 and response.url == REDIRECTED
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "管理员已重置您的密码，请先设置新密码"
    ]


def test_it_says_why_on_the_page_he_lands_on(reset):
    page = client_for(reset).get("/", follow=True)
    assert page.redirect_chain == [(REDIRECTED, 302)]
    assert "管理员已重置您的密码，请先设置新密码" in page.content.decode()


def test_it_refuses_the_api_in_chinese_with_his_session(reset):
    response = client_for(reset).get("/api/v1/recordings")
    assert response.status_code == 403
    assert response.json() == {"detail": "请先在网页上修改初始密码"}


def test_it_refuses_the_api_with_http_basic_too(reset, client):
    response = client.get("/api/v1/recordings", **_basic(reset.username, PASSWORD))
    assert response.status_code == 403
    assert response.json()["detail"] == "请先在网页上修改初始密码"


def test_it_leaves_the_change_page_sign_out_and_static_files_open(reset):
    client = client_for(reset)
    assert client.get(REDIRECTED).status_code == 200
    assert client.get("/static/avrecords/site.css").status_code != 302
    assert client.post("/logout/").status_code == 302
    assert client.get("/").url.startswith("/login/")  # signed out, not sent to change


def test_htmx_is_sent_to_the_whole_page(reset):
    response = client_for(reset).get("/todo/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == REDIRECTED


def test_his_own_new_password_lifts_it(reset):
    client = client_for(reset)
    response = client.post(
        REDIRECTED,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url != REDIRECTED
    reset.refresh_from_db()
    assert not reset.must_change_password and reset.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/recordings").status_code == 200


def test_a_refused_new_password_keeps_it(reset):
    client = client_for(reset)
    response = client.post(
        REDIRECTED, {"old_password": "wrong", "new_password1": "x", "new_password2": "x"}
    )
    assert response.status_code == 200
    reset.refresh_from_db()
    assert reset.must_change_password
    assert client.get("/").url == REDIRECTED


def test_it_leaves_everyone_else_alone(org):
    assert client_for(org.officer2).get("/").status_code == 200
    assert client_for(org.officer2).get("/api/v1/recordings").status_code == 200


MENU_COUNTS = 'hx-get="/menu/counts"'


def test_the_change_page_shows_no_menu_and_asks_for_no_counts_until_he_has_changed(reset):
    """The menu's counts request on the change page was answered "go to the change page",
    which reloaded the page in a loop: what he typed was wiped, and a request still on its
    way with the session's old key could sign him out right after the change (browser)."""
    client = client_for(reset)
    page = client.get(REDIRECTED).content.decode()
    assert 'id="side-menu"' not in page and MENU_COUNTS not in page
    assert "退出" in page  # he can still leave
    client.post(
        REDIRECTED,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    after = client.get("/recordings/").content.decode()
    assert 'id="side-menu"' in after and MENU_COUNTS in after


def test_a_fragment_asked_by_the_change_page_itself_is_answered_empty_not_sent_round(reset):
    client = client_for(reset)
    response = client.get(
        "/menu/counts",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver" + REDIRECTED,
    )
    assert response.status_code == 204 and "HX-Redirect" not in response
    assert list(get_messages(response.wsgi_request)) == []
    from_elsewhere = client.get(
        "/menu/counts", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/todo/"
    )
    assert from_elsewhere["HX-Redirect"] == REDIRECTED
