"""Issue 3, "Database down": the web answers 503 in Chinese instead of a 500 or a hang."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import InterfaceError, OperationalError

from avrecords.web.middleware import DATABASE_DOWN_MESSAGE, DatabaseUnavailableMiddleware
from tests.backends import database_down
from tests.conftest import PASSWORD, client_for

AVRECORDS = [sys.executable, "-m", "avrecords.cli"]


def _basic(username: str) -> dict:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_a_page_answers_503_with_a_chinese_message(org):
    client = client_for(org.officer)
    with database_down():
        response = client.get("/recordings/")
    body = response.content.decode()
    assert response.status_code == 503
    assert DATABASE_DOWN_MESSAGE in body and "<html" in body
    assert response["Retry-After"] == "30"


def test_signing_in_while_the_database_is_down_answers_503(db):
    client = client_for(None)
    with database_down():
        response = client.post("/login/", {"username": "zhangwei", "password": PASSWORD})
    assert response.status_code == 503
    assert DATABASE_DOWN_MESSAGE in response.content.decode()


def test_the_api_answers_503_with_a_json_detail(org):
    client = client_for(org.officer)
    with database_down(InterfaceError):
        response = client.get("/api/v1/recordings")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": DATABASE_DOWN_MESSAGE}


def test_the_api_with_basic_auth_answers_503_too(org):
    client = client_for(None)
    with database_down():
        response = client.get("/api/v1/recordings", **_basic("zhangwei"))
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_DOWN_MESSAGE}


def test_other_errors_are_left_to_the_ordinary_500_handling(rf):
    request = rf.get("/recordings/")
    middleware = DatabaseUnavailableMiddleware(lambda r: None)
    assert middleware.process_exception(request, RuntimeError("a bug")) is None
    assert middleware.process_exception(request, OperationalError("x")).status_code == 503


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_server_whose_database_is_unreachable_answers_503(tmp_path):
    closed_port = _free_port()  # nothing listens there: connections are refused at once
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
        "DATABASE_URL": f"postgresql://avrecords@127.0.0.1:{closed_port}/avrecords",
    }
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen(
        [*AVRECORDS, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/login/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer (here a 503) means the server is listening
            except OSError:
                time.sleep(0.05)
        # A session cookie makes the page look up its user: the first query of the request.
        page = _open(base + "/login/", headers={"Cookie": "sessionid=abcdefgh12345678"})
        page_body = page.read().decode()
        api = _open(base + "/api/v1/recordings", headers={"Authorization": "Basic eDp5"})
        api_body = json.loads(api.read())
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert page.status == 503 and DATABASE_DOWN_MESSAGE in page_body
    assert api.status == 503 and api_body == {"detail": DATABASE_DOWN_MESSAGE}
    logged = (tmp_path / "serve.log").read_text()
    assert "database unavailable, answered 503 to GET /api/v1/recordings" in logged
    assert "Traceback" not in logged


def _open(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        return urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as exc:
        return exc
