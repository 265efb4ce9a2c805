"""Resumable uploads against a real `avrecords serve` (issue 19 §3; M1, M2): a part whose
connection drops half-way, then the rest; and the tuspy client (the station agent's) through
a proxy that cuts the connection mid-part."""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from avrecords.recordings.resumable_metadata import encode
from tests import media as m
from tests.cli import CliHome
from tests.tcpgate import CuttingProxy, free_port

PASSWORD = "Zhang-Wei-2026!"
SET_PASSWORD = f"""
from avrecords.org.models import User
u = User.objects.get(username="zhangwei"); u.set_password({PASSWORD!r}); u.save()
"""
AUTH = "Basic " + base64.b64encode(f"zhangwei:{PASSWORD}".encode()).decode()
TUS = {"Tus-Resumable": "1.0.0", "Authorization": AUTH}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A home with 张伟 holding camera 3501001, and its web server."""
    root = tmp_path_factory.mktemp("resumable-site")
    home = CliHome(root / "home", migrated=True)
    home.run("shell", "-c", SET_PASSWORD, check=True)
    port = free_port()
    log = open(root / "server.log", "w")
    server = home.popen("serve", "--port", str(port), stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.05)
    yield home, port
    server.terminate()
    server.wait(timeout=30)
    log.close()


def request(port: int, method: str, path: str, headers: dict, body: bytes = b""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    base = {"Authorization": AUTH} if method == "GET" else TUS  # GET: the result as JSON
    conn.request(method, path, body=body, headers={**base, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def create(port: int, data: bytes, name: str) -> str:
    response = request(
        port,
        "POST",
        "/api/v1/uploads/",
        {"Upload-Length": str(len(data)), "Upload-Metadata": encode({"filename": name})},
    )
    assert response.status == 201, response.body
    return response.getheader("Location").split(f":{port}", 1)[1]


def patch(port: int, path: str, offset: int, part: bytes):
    headers = {
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": "sha256 " + base64.b64encode(hashlib.sha256(part).digest()).decode(),
    }
    return request(port, "PATCH", path, headers, part)


def part_file(home: CliHome, path: str) -> Path:
    return home.home / "tmp" / "resumable" / f"{path.rsplit('/', 1)[1]}.part"


def test_a_part_whose_connection_drops_is_sent_again_from_the_durable_offset(site, library):
    home, port = site
    data = (library / m.H264).read_bytes()
    path = create(port, data, m.H264)
    half = len(data) // 2
    assert patch(port, path, 0, data[:half]).status == 204

    # The second part: headers for all of it, half of its bytes, then the connection drops.
    rest = data[half:]
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(
            (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n"
                f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {half}\r\n"
                f"Content-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {len(rest)}\r\n\r\n"
            ).encode()
            + rest[: len(rest) // 2]
        )
    time.sleep(0.2)

    status = request(port, "HEAD", path, {})
    assert status.status == 200
    assert status.getheader("Upload-Offset") == str(half)  # what was durable, no more
    assert part_file(home, path).stat().st_size == half

    done = patch(port, path, half, rest)
    sha = hashlib.sha256(data).hexdigest()
    assert done.status == 204, done.body
    assert (done.getheader("Avrecords-Outcome"), done.getheader("Avrecords-Sha256")) == (
        "imported",
        sha,
    )
    rows = home.query("SELECT id, sha256, size_bytes FROM recordings_recording")
    assert [(r[1], r[2]) for r in rows] == [(sha, len(data))]
    assert done.getheader("Avrecords-Recording") == str(rows[0][0])
    assert not part_file(home, path).exists()


def test_tuspy_resumes_after_the_proxy_drops_the_connection(site, library):
    from tusclient import client as tus_client
    from tusclient.uploader import Uploader

    class Sha256Uploader(Uploader):  # tuspy's default is sha1; the server takes sha256 only
        CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)

    home, port = site
    source = library / m.H264_B
    data = source.read_bytes()
    part_bytes = len(data) // 4 + 1
    proxy = CuttingProxy(port, [len(data) // 2])  # in the middle of the second part
    try:
        tus = tus_client.TusClient(
            f"http://127.0.0.1:{proxy.port}/api/v1/uploads/", headers={"Authorization": AUTH}
        )
        uploader = Sha256Uploader(
            str(source),
            client=tus,
            chunk_size=part_bytes,
            metadata={"filename": m.H264_B},
            retries=3,
            retry_delay=0,
            upload_checksum=True,
            store_url=False,
        )
        uploader.upload()
    finally:
        proxy.close()
    assert proxy.cuts == 1
    status = request(port, "GET", uploader.url.split(f":{proxy.port}", 1)[1], {})
    sha = hashlib.sha256(data).hexdigest()
    assert status.status == 200
    assert b'"outcome": "imported"' in status.body and sha.encode() in status.body
    rows = home.query("SELECT sha256 FROM recordings_recording WHERE sha256 = ?", (sha,))
    assert rows == [(sha,)]
