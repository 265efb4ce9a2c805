"""The demo agency served for a browser: `avrecords init`, `avrecords demo`, then
`avrecords serve` and `avrecords worker` in a home of its own (issue 17 §8). The browser
tests and `scripts/screens` share it; nothing here touches the test database."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PASSWORD = "avrecords-demo"
# The demo's people (avrecords/demo/loader.py) by what they do in the journeys.
ROLES = {
    "admin": "系统管理员",
    "guanli": "设备及音像资料管理员",
    "lingdao": "分管领导",
    "zhongdui1": "单位负责人",
    "jiandu": "监督人员",
    "dangan": "档案管理员",
    "zhangwei": "执法人员",
    "wangfang": "执法人员",
}
START_TIMEOUT_SECONDS = 60
# Every browser context is a Chinese user's: zh-CN to the page's scripts and headers, Beijing time.
PEOPLES_BROWSER = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoSite:
    """A demo installation with its web server and one worker; `stop()` ends both."""

    # what is run before the servers start: the demo agency; a new agency runs `init` alone
    STEPS: tuple[tuple[str, ...], ...] = (("init",), ("demo",))

    def __init__(self, home: Path | None = None, port: int | None = None) -> None:
        self.home = Path(home or tempfile.mkdtemp(prefix="avrecords-browser-"))
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.log = self.home / "browser-site.log"
        # the installation's own settings only: not the test run's database or home
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AVRECORDS_") and k != "DATABASE_URL"
        }
        self.env["AVRECORDS_HOME"] = str(self.home)

    def _avrecords(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "avrecords.cli", *args]

    def start(self) -> DemoSite:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            for step in self.STEPS:
                subprocess.run(
                    self._avrecords(*step), env=self.env, stdout=log, stderr=log, check=True
                )
            for args in (("serve", "--port", str(self.port)), ("worker",)):
                self.processes.append(
                    subprocess.Popen(
                        self._avrecords(*args),
                        env=self.env,
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if any(p.poll() is not None for p in self.processes):
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the demo site did not start; see {self.log}")

    def stop(self, *, remove: bool = False) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if remove:
            shutil.rmtree(self.home, ignore_errors=True)


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
WHAT_TO_INSTALL = (
    "the browser tests need Debian's Chromium and Playwright for Python: "
    "`apt-get install chromium` (or set AVRECORDS_CHROMIUM to a Chromium binary) and "
    "`pip install -e '.[dev]'`; no browser is downloaded"
)


def find_chromium() -> str | None:
    """AVRECORDS_CHROMIUM, else Debian's Chromium; None when there is none."""
    if chosen := os.environ.get("AVRECORDS_CHROMIUM"):
        return chosen if os.access(chosen, os.X_OK) else None
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def cjk_fonts_env() -> dict:
    """Chromium's environment with the CJK font the project already ships for its PDFs
    (lib/pdf.py) made known to fontconfig, nothing installed: Chinese is drawn at its real
    width, so a page that fits here fits on a person's machine (this host has no CJK font,
    and boxes for missing glyphs are narrower). Unchanged when the font is missing."""
    from avrecords.lib import pdf

    try:
        font = pdf.font_path()
    except pdf.PdfUnavailable:
        return dict(os.environ)
    folder = Path(tempfile.mkdtemp(prefix="avrecords-fonts-"))
    (folder / font.name).symlink_to(font)
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{folder}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    return dict(os.environ, FONTCONFIG_FILE=str(folder / "fonts.conf"))


def launch(playwright, chromium: str):
    """One headless Chromium for the whole run (Playwright's own browsers are never used)."""
    return playwright.chromium.launch(
        executable_path=chromium,
        headless=True,
        args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        env=cjk_fonts_env(),
    )


def sign_in(browser, site: DemoSite, username: str) -> dict:
    """Signs in through the login page once; returns the storage state to reuse."""
    context = browser.new_context(**PEOPLES_BROWSER)
    page = context.new_page()
    page.goto(site.url + "/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    state = context.storage_state()
    context.close()
    return state


def run_in_site(site: DemoSite, code: str) -> str:
    """Python run against the site's installation (setup a journey needs that no page
    offers, e.g. a viewing grant made beforehand); returns what it printed."""
    env = dict(site.env, DJANGO_SETTINGS_MODULE="avrecords.settings")
    done = subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
