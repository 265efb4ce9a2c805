"""What every HTTP answer enforces regardless of the page (issue 15, rows 9 and 13): small
bodies except on the upload, refused before they are read; the client's address and scheme
from the trusted proxy only; no-store and a Content-Security-Policy on every dynamic answer;
sessions that end when idle; HSTS and Secure cookies under TLS."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time

import pytest
from django.test import Client
from waitress import wasyncore

from avrecords.recordings.uploads import UPLOAD_PATH
from avrecords.web.body_limits import make_server

MB = 1024**2


# --- row 9: request bodies ------------------------------------------------------------------


def _declared_post(path: str, length: int, content_type="application/x-www-form-urlencoded"):
    """A POST that declares a body of `length` bytes (and sends none: it must not be read)."""
    return Client().generic(
        "POST", path, b"", content_type=content_type, CONTENT_LENGTH=str(length)
    )


def test_it_refuses_a_200_mb_post_to_the_login_page_before_reading_it(db):
    response = _declared_post("/login/", 200 * MB)
    assert response.status_code == 413
    assert response.content.decode() == "请求内容过大（超过 10 MB），已拒绝"


def test_it_refuses_a_large_api_body_with_a_chinese_json_message(db):
    response = _declared_post("/api/v1/activities", 11 * MB, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "请求内容过大（超过 10 MB），已拒绝"}


def test_it_takes_the_small_limit_from_the_environment_setting(db, settings):
    settings.AVRECORDS_REQUEST_MAX_BYTES = 64 * 1024
    assert _declared_post("/login/", 64 * 1024 + 1).status_code == 413
    assert _declared_post("/login/", 64 * 1024).status_code == 200  # the form, again


def test_it_lets_a_large_body_reach_the_upload_endpoint(db):
    # 200 MB is within the upload limit: the upload endpoint decides (here: not signed in).
    response = _declared_post(UPLOAD_PATH, 200 * MB, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 401


class Server:
    """`avrecords serve`'s waitress server around a small application that reports the body
    length it received, on a free port, in a thread."""

    def __init__(self) -> None:
        def app(environ, start_response):
            body = environ["wsgi.input"].read()
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [f"received {len(body)}".encode()]

        self.start(make_server(app, host="127.0.0.1", port=0, threads=1))

    def start(self, server) -> None:
        self.server, self.port = server, server.effective_port
        self.stopped = threading.Event()

        def serve():  # server.run() until told to stop, then closed by close()
            while not self.stopped.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def send(self, head: str, body_chunks=()) -> tuple[int, dict, bytes]:
        """Send a request head and as much of the body as the server takes; the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(head.encode())
            for chunk in body_chunks:
                try:
                    conn.sendall(chunk)
                except OSError:  # the server answered and closed: it read no further
                    break
            data = b""
            while True:
                try:
                    piece = conn.recv(65536)
                except ConnectionResetError:
                    break
                if not piece:
                    break
                data += piece
                if b"\r\n\r\n" in data and _complete(data):
                    break
        head_bytes, _, body = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("content-length:"):
            return len(body) >= int(line.split(":", 1)[1])
    return False


@pytest.fixture
def server(settings):
    settings.AVRECORDS_REQUEST_MAX_BYTES = 64 * 1024
    settings.AVRECORDS_UPLOAD_MAX_BYTES = 1 * MB
    running = Server()
    yield running
    running.close()


def _post_head(path: str, **headers) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_the_server_refuses_a_declared_200_mb_login_post_without_waiting_for_the_body(server):
    status, headers, body = server.send(_post_head("/login/", Content_Length=200 * MB))
    assert status == 413
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body.decode() == "请求内容过大（超过 64 KB），已拒绝"


def test_the_server_answers_an_api_client_in_json(server):
    status, _, body = server.send(_post_head("/api/v1/activities", Content_Length=200 * MB))
    assert status == 413
    assert json.loads(body) == {"detail": "请求内容过大（超过 64 KB），已拒绝"}


def test_the_server_cuts_off_a_chunked_body_that_grows_past_the_limit(server):
    chunk = b"x" * 16384
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 64  # 1 MB in all, never finished
    status, _, body = server.send(_post_head("/login/", Transfer_Encoding="chunked"), chunks)
    assert status == 413
    assert "请求内容过大" in body.decode()


def test_the_server_passes_a_small_body_to_the_application(server):
    status, _, body = server.send(_post_head("/login/", Content_Length=1000), [b"x" * 1000])
    assert status == 200 and body == b"received 1000"


def test_the_server_lets_the_upload_path_take_more_than_the_small_limit(server):
    size = 512 * 1024
    status, _, body = server.send(_post_head(UPLOAD_PATH, Content_Length=size), [b"x" * size])
    assert status == 200 and body == f"received {size}".encode()


def test_the_server_still_caps_the_upload_path_at_the_upload_limit(server):
    status, _, body = server.send(_post_head(UPLOAD_PATH, Content_Length=2 * MB))
    assert status == 413
    assert json.loads(body) == {
        "detail": "文件超过上传大小上限（1 MB），请在采集站使用 avrecords ingest 导入"
    }


def test_the_server_takes_the_client_address_and_scheme_from_the_trusted_proxy_only(settings):
    from avrecords.web.management.commands.serve import proxy_adjustments

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']}".encode()]

    forwarded = "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"
    for proxy, seen in (("127.0.0.1", b"203.0.113.9 https"), ("10.9.9.9", b"127.0.0.1 http")):
        settings.AVRECORDS_TRUSTED_PROXY = proxy
        running = Server.__new__(Server)
        running.start(make_server(app, host="127.0.0.1", port=0, threads=1, **proxy_adjustments()))
        try:
            assert running.send(forwarded)[2] == seen
        finally:
            running.close()


# --- row 13: caching, content security policy, sessions, TLS ------------------------------


@pytest.fixture
def officer(db):
    from avrecords.org.models import Role, User

    return User.objects.create(username="zhangwei", full_name="张伟", role=Role.OFFICER)


def test_every_dynamic_answer_says_no_store(officer):
    from tests.conftest import client_for

    browser = client_for(officer)
    for path in ("/recordings/", "/api/v1/recordings", "/recordings/999999/media", "/login/"):
        response = browser.get(path)
        assert "no-store" in response["Cache-Control"].split(", "), path


def test_pages_allow_scripts_only_from_our_origin_or_with_the_pages_nonce(officer):
    from tests.conftest import client_for

    response = client_for(officer).get("/recordings/")
    csp = response["Content-Security-Policy"]
    script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
    nonce = script_src.split("'nonce-")[1].rstrip("'")
    assert script_src == f"script-src 'self' 'nonce-{nonce}'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    again = client_for(officer).get("/recordings/")["Content-Security-Policy"]
    assert nonce not in again  # a fresh nonce per answer


def test_the_upload_pages_scripts_come_from_our_own_static_files(db):
    # issue 19 §3: its script moved out of the page (recordings/resumable_upload.js)
    import re

    from avrecords.org.models import Role, User
    from tests.conftest import client_for

    admin = User.objects.create(username="guanli", role=Role.ADMIN)
    page = client_for(admin).get("/upload/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert "/static/recordings/resumable_upload.js" in page
    assert scripts and all('src="/static/' in tag for tag in scripts), scripts


def test_no_template_has_an_inline_script_or_event_handler_without_a_nonce():
    import re
    from pathlib import Path

    import avrecords

    offenders = []
    for template in Path(avrecords.__file__).parent.rglob("templates/**/*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
                offenders.append(f"{template.name}: {tag}")
        offenders += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
    assert offenders == []


def test_the_api_docs_load_swagger_from_our_own_static_files(db):
    body = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn" not in body and "https://" not in body


def test_a_session_lasts_thirty_minutes_without_a_request(officer):
    from tests.conftest import client_for

    browser = client_for(officer)
    browser.get("/recordings/")
    assert browser.cookies["sessionid"]["max-age"] == 30 * 60


def test_a_session_idle_past_its_time_is_signed_out(officer):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tests.conftest import client_for

    browser = client_for(officer)
    assert browser.get("/recordings/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = browser.get("/recordings/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_activity_keeps_a_session_alive(officer):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from avrecords.web.idle_timeout import TOUCHED_KEY
    from tests.conftest import client_for

    browser = client_for(officer)
    browser.get("/recordings/")
    session = browser.session
    session[TOUCHED_KEY] = int(time.time()) - 120  # last kept alive two minutes ago
    session.save()
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    browser.get("/recordings/")
    expiry = Session.objects.get().expire_date
    assert expiry > timezone.now() + dt.timedelta(minutes=29)


def _settings_in_a_fresh_process(tmp_path, **env) -> dict:
    import os
    import subprocess
    import sys

    code = (
        "import json, avrecords.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
        "('SESSION_COOKIE_AGE', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'AVRECORDS_REQUEST_MAX_BYTES')}))"
    )
    environment = {**os.environ, "AVRECORDS_HOME": str(tmp_path), **env}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_tls_turns_on_hsts_and_secure_cookies(tmp_path):
    plain = _settings_in_a_fresh_process(tmp_path)
    assert plain["SECURE_HSTS_SECONDS"] in (None, 0) and not plain["SESSION_COOKIE_SECURE"]
    tls = _settings_in_a_fresh_process(
        tmp_path, AVRECORDS_TLS="true", AVRECORDS_SESSION_IDLE_MINUTES="45"
    )
    assert tls["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert tls["SESSION_COOKIE_SECURE"] and tls["CSRF_COOKIE_SECURE"]
    assert tls["SESSION_COOKIE_AGE"] == 45 * 60


def test_an_https_page_carries_hsts_and_secure_cookies(db, settings):
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.CSRF_COOKIE_SECURE = True
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies["csrftoken"]["secure"]
