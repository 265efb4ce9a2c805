"""Drive the real `avrecords` command in its own AVRECORDS_HOME, as a station or operator would."""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

AVRECORDS = [sys.executable, "-m", "avrecords.cli"]
SETUP_STATION = """
from avrecords.org.models import Unit, User, Role
from avrecords.equipment.models import Device, Station
from avrecords.equipment.custody import issue_device
import datetime as dt
unit = Unit.objects.create(name="执法一中队", code="C01")
officer = User.objects.create(username="zhangwei", full_name="张伟", officer_no="350211", unit=unit, role=Role.OFFICER)
camera = Device.objects.create(serial="3501001", unit=unit)
issue_device(camera, officer, when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
Station.objects.create(name="一中队采集站", unit=unit)
"""


_MIGRATED_DATABASE: Path | None = None


def migrated_database() -> Path:
    """An SQLite database every migration has run on, made by a real `avrecords init` once per
    run: the first pytest-xdist worker to need it makes it under a lock in the run's home
    (AVRECORDS_TEST_RUN_HOME, set by conftest), the others wait and share it; a run without
    xdist makes its own. The template of `seed_migrated_database` and of each worker's test
    database (conftest's `django_db_modify_db_settings`): a migration costs about 12 CPU-s
    (issue 22)."""
    global _MIGRATED_DATABASE
    if _MIGRATED_DATABASE is None:
        if shared := os.environ.get("AVRECORDS_TEST_RUN_HOME"):
            root = Path(shared) / "migrated"
            root.mkdir(exist_ok=True)
        else:
            root = Path(tempfile.mkdtemp(prefix="avrecords-migrated-"))
            atexit.register(shutil.rmtree, root, True)
        template = root / "home"
        with open(root / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
            if not (root / "made").exists():
                shutil.rmtree(template, ignore_errors=True)
                env = {**os.environ, "AVRECORDS_HOME": str(template)}
                env["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
                env.pop("DATABASE_URL", None)
                subprocess.run([*AVRECORDS, "init"], env=env, capture_output=True, check=True)
                (root / "made").touch()
        _MIGRATED_DATABASE = template / "avrecords.sqlite3"
    return _MIGRATED_DATABASE


def seed_migrated_database(home: Path) -> None:
    """Start `home` with a copy of an SQLite database already migrated (`migrated_database`),
    so the home's own `init` has no migration to run (7-8 s each time otherwise). Its keys,
    secret and store are still its own, made by its own `init`. Only for tests about what
    comes after init, not about init itself."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copy(migrated_database(), home / "avrecords.sqlite3")  # its 0600 mode too


class CliHome:
    """A fresh AVRECORDS_HOME with one squad, one officer holding camera 3501001, one station.

    Its database is the embedded SQLite file unless `database_url` names another (e.g. a
    fresh PostgreSQL database from tests.backends.fresh_database). `migrated=True` starts the
    SQLite file from an already-migrated copy (see `seed_migrated_database`).
    """

    def __init__(
        self, home: Path, database_url: str | None = None, *, migrated: bool = False, **env: str
    ) -> None:
        self.home = home
        self.database_url = database_url
        self.env = {
            **os.environ,
            "AVRECORDS_HOME": str(home),
            "DJANGO_SETTINGS_MODULE": "avrecords.settings",
            **env,
        }
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        elif migrated:
            seed_migrated_database(home)
        self.run("init", check=True)
        self.run("shell", "-c", SETUP_STATION, check=True)

    def run(
        self, *args: str, check: bool = False, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*AVRECORDS, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"avrecords {args[0]} failed: {result.stderr[-2000:]}")
        return result

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen([*AVRECORDS, *args], env=self.env, **kwargs)

    def ingest(self, path: Path, *extra: str) -> tuple[int, dict]:
        result = self.run("ingest", str(path), "--station", "一中队采集站", "--json", *extra)
        return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.database_url:
            from tests import backends

            return backends.query(self.database_url, sql, params)
        with sqlite3.connect(self.home / "avrecords.sqlite3", timeout=30) as db:
            return db.execute(sql, params).fetchall()

    @property
    def store(self) -> Path:
        return self.home / "store"
