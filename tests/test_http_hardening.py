"""What every HTTP answer enforces regardless of the page (issue 15, rows 9 and 13): small
bodies except on the upload, refused before they are read."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from django.test import Client

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

        self.server = make_server(app, host="127.0.0.1", port=0, threads=1)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
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
        self.server.close()
        self.thread.join(timeout=10)


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
    assert "请求内容过大（超过 1 MB）" in json.loads(body)["detail"]
