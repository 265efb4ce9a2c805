"""What `make run` gives a new user: init, demo, web server and worker as real processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from avrecords.demo.loader import DEMO_PASSWORD
from tests.cli import seed_migrated_database

AVRECORDS = [sys.executable, "-m", "avrecords.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            return self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as exc:
            return exc

    def login(self, username: str, password: str) -> None:
        self.get("/login/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        req = urllib.request.Request(
            self.base + "/login/", data=body.encode(), headers={"Referer": self.base + "/login/"}
        )
        self.opener.open(req, timeout=30)


@pytest.fixture
def running_site(tmp_path):
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
        "AVRECORDS_JOB_REAP_SECONDS": "1",
    }
    env.pop("DATABASE_URL", None)

    def run(*args):
        return subprocess.run(
            [*AVRECORDS, *args], env=env, capture_output=True, text=True, timeout=180
        )

    assert run("init").returncode == 0
    assert run("init").returncode == 0  # idempotent
    first = run("demo")
    assert (
        first.returncode == 0 and "演示数据已载入" in first.stdout and DEMO_PASSWORD in first.stdout
    )
    again = run("demo")
    assert again.returncode == 0 and "已存在" in again.stdout
    port = _free_port()
    logs = open(tmp_path / "server.log", "w")
    procs = [
        subprocess.Popen(
            [*AVRECORDS, "serve", "--port", str(port)], env=env, stdout=logs, stderr=logs
        ),
        subprocess.Popen([*AVRECORDS, "worker"], env=env, stdout=logs, stderr=logs),
    ]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.05)
    yield base, run
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


@pytest.mark.slow
def test_a_new_user_logs_in_finds_recordings_and_plays_one(running_site):
    base, run = running_site
    anonymous = Browser(base)
    assert anonymous.get("/recordings/").geturl().startswith(base + "/login/")

    browser = Browser(base)
    browser.login("guanli", DEMO_PASSWORD)
    listing = browser.get("/recordings/").read().decode()
    assert "张伟" in listing and "待指派" in listing  # the demo's unregistered camera
    ids = [int(i) for i in re.findall(r'href="/recordings/(\d+)/"', listing)]
    assert len(set(ids)) == 7

    # Someone else's recording: its data, but playing it needs an approved request (M8)
    detail = browser.get(f"/recordings/{min(ids)}/").read().decode()
    assert "SHA-256" in detail and "申请查阅" in detail and "<video" not in detail
    assert browser.get(f"/recordings/{min(ids)}/media").status == 403

    # The leader's viewing request on the demo case was approved and carried out: he plays
    leader = Browser(base)
    leader.login("lingdao", DEMO_PASSWORD)
    granted = leader.get("/access/?tab=mine").read().decode()
    request_id = re.search(r'href="/access/(\d+)/"', granted).group(1)
    case_rec = re.search(
        r'href="/recordings/(\d+)/"', leader.get(f"/access/{request_id}/").read().decode()
    ).group(1)
    assert "<video" in leader.get(f"/recordings/{case_rec}/").read().decode()
    ranged = leader.get(f"/recordings/{case_rec}/media", headers={"Range": "bytes=0-1023"})
    assert ranged.status == 206 and len(ranged.read()) == 1024
    assert ranged.headers["Content-Range"].startswith("bytes 0-1023/")
    assert "播放" in browser.get("/registers/view/").read().decode()

    # The demo's H.265 clip becomes playable to its officer once the worker made its proxy.
    officer = Browser(base)
    officer.login("wangfang", DEMO_PASSWORD)
    own = officer.get("/recordings/").read().decode()
    hevc_id = next(
        int(i)
        for i in set(re.findall(r'href="/recordings/(\d+)/"', own))
        if "H.265" in officer.get(f"/recordings/{i}/").read().decode()
    )
    deadline = time.monotonic() + 90
    status = None
    while time.monotonic() < deadline:
        status = officer.get(f"/recordings/{hevc_id}/media", headers={"Range": "bytes=0-"}).status
        if status == 206:
            break
        time.sleep(0.1)
    assert status == 206

    # The equipment ledger of the demo: the old spare is below the standard, the staffing
    # report judges both squads against tongbai, and the ledger exports as Excel.
    ledger = browser.get("/equipment/").read().decode()
    assert "3509001" in ledger and "分辨率 720P 低于 1080P" in ledger
    staffing = browser.get("/equipment/staffing").read().decode()
    assert staffing.count("达标") >= 2 and ">第七条</span>" in staffing
    sheet = browser.get("/equipment/export.xlsx").read()
    assert sheet[:2] == b"PK"

    verify = run("audit", "verify")
    assert verify.returncode == 0 and "审计链完好" in verify.stdout


def test_a_broken_chain_makes_audit_verify_exit_nonzero(tmp_path):
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
    }
    env.pop("DATABASE_URL", None)

    def run(*args):
        return subprocess.run(
            [*AVRECORDS, *args], env=env, capture_output=True, text=True, timeout=120
        )

    seed_migrated_database(tmp_path / "home")  # not a test of init: skip its migrations
    assert run("init").returncode == 0
    script = (
        "from avrecords.audit import services, triggers; from django.db import connection\n"
        "for i in range(3): services.record('recording.view', object_type='x', object_id=i)\n"
        "triggers.remove(connection)\n"
        "connection.cursor().execute(\"UPDATE audit_auditentry SET summary='x' WHERE seq=2\")\n"
    )
    assert run("shell", "-c", script).returncode == 0
    result = run("audit", "verify")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "第 2 条记录异常" in result.stderr


def test_an_unknown_command_and_a_bad_setting_fail_with_one_line(tmp_path):
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "AVRECORDS_UPLOAD_MAX_BYTES": "lots",
    }
    result = subprocess.run(
        [*AVRECORDS, "init"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "AVRECORDS_UPLOAD_MAX_BYTES" in result.stderr
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    "pattern",
    [r"^(?P<serial>\w+)_(?P<ts>\d{14})$", r"^(?P<serial>[A-Z+_(?P<officer>\d+)_(?P<ts>\d{14})$"],
    ids=["missing-officer-group", "not-a-regex"],
)
def test_a_bad_filename_pattern_is_refused_before_anything_runs(tmp_path, pattern):
    env = {
        **os.environ,
        "AVRECORDS_HOME": str(tmp_path / "home"),
        "AVRECORDS_FILENAME_PATTERNS": pattern,
    }
    result = subprocess.run(
        [*AVRECORDS, "ingest", str(tmp_path), "--station", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "AVRECORDS_FILENAME_PATTERNS" in result.stderr
    assert result.stderr.strip().count("\n") == 0
