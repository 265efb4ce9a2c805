"""A platform and a collection station for the agent's tests and benchmark (issue 19 §2): a
real `avrecords serve` in a home of its own (tests.cli.CliHome), stations registered through
`stations.services.register`, a station.toml, a counting TCP proxy that can cut every
connection, and docks made of real media."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.cli import AVRECORDS, CliHome
from tests.tcpgate import CuttingProxy, free_port  # noqa: F401 (CuttingProxy: the agent's tests and bench)

# The CliHome's squad, officer 张伟 (350211) holding camera 3501001, plus a system
# administrator who registers the stations; the secrets are printed once, as the page shows.
REGISTER = """
import json
from avrecords.org.models import Unit, User, Role
from avrecords.stations import services
unit = Unit.objects.get(name="执法一中队")
admin = User.objects.create(username="xitong", full_name="系统管理员李强", unit=unit, role=Role.SYSADMIN)
secrets = {}
for name in NAMES:
    station, secret = services.register(admin, name=name, unit=unit, location="一中队值班室", responsible=admin)
    secrets[name] = secret
print(json.dumps(secrets))
"""
REVOKE = """
from avrecords.org.models import User
from avrecords.equipment.models import Station
from avrecords.stations import services
services.revoke_token(User.objects.get(username="xitong"), Station.objects.get(name=NAME))
"""


class Platform:
    """A home, its web server, and the stations' secrets; `stop()` ends the server."""

    def __init__(self, home: Path, names: list[str], **env: str) -> None:
        self.home = CliHome(home, migrated=True, **env)
        setup = REGISTER.replace("NAMES", repr(names))
        out = self.home.run("shell", "-c", setup, check=True).stdout
        self.secrets: dict[str, str] = json.loads(out.strip().splitlines()[-1])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(home.parent / f"{home.name}-serve.log", "ab")
        self.server = self.home.popen(
            "serve", "--port", str(self.port), stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login/", timeout=2)
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("avrecords serve did not start")

    def revoke(self, name: str) -> None:
        self.home.run("shell", "-c", REVOKE.replace("NAME", repr(name)), check=True)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.home.query(sql, params)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)
        self.log.close()


def write_config(
    directory: Path, url: str, secret: str, *, part_mib: int = 1, **extra
) -> tuple[Path, Path]:
    """station.toml (token file 0600) watching `directory/docks`; returns (config, docks)."""
    directory.mkdir(parents=True, exist_ok=True)
    token = directory / "token"
    token.write_text(secret + "\n")
    token.chmod(0o600)
    docks = directory / "docks"
    docks.mkdir(exist_ok=True)
    lines = [
        f'platform_url = "{url}"',
        'token_file = "token"',
        'watch = "poll"',
        'watch_directory = "docks"',
        'spool = "spool"',
        'journal = "journal.sqlite3"',
        f"part_mib = {part_mib}",
        "heartbeat_seconds = 5",
        "timeout_seconds = 10",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    config = directory / "station.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config, docks


def dock(docks: Path, name: str, serial: str, files: dict[str, Path]) -> Path:
    """A camera appearing in the polled directory: DEVICE.TXT and DCIM/100MEDIA/… files."""
    staging = docks.parent / f".staging-{name}"
    media = staging / "DCIM" / "100MEDIA"
    media.mkdir(parents=True)
    (staging / "DEVICE.TXT").write_text(f"型号=DSJ-V9\r\nSN={serial}\r\n", encoding="gb18030")
    for filename, source in files.items():
        _copy(source, media / filename)
    root = docks / name
    staging.rename(root)  # appears whole, as a mounted disk does
    return root


def _copy(source: Path, dest: Path) -> None:
    with open(source, "rb") as src, open(dest, "wb") as out:
        while chunk := src.read(1024 * 1024):
            out.write(chunk)


def agent(config: Path, *args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """`avrecords station run --config …` as a process: by default as on a station PC, with
    none of the platform's settings in its environment; `env` for `direct = true`."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AVRECORDS_", "DJANGO_"))}
        env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [*AVRECORDS, "station", "run", "--config", str(config), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run_agent(
    config: Path, *args: str, timeout: float = 120, env: dict | None = None
) -> tuple[int, str, str]:
    proc = agent(config, "--once", *args, env=env)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def journal_rows(config: Path, sql: str, params: tuple = ()) -> list[tuple]:
    path = config.parent / "journal.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # the agent has not made its tables yet


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
