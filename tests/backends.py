"""PostgreSQL and Redis for tests that need the real shared backends (issue 3 §1, §3).

In the PostgreSQL pass, subprocess installations get fresh databases on the pass's server,
named after this run's own (uniquely suffixed) test database so two runs never collide;
conftest drops them when the session ends. A test that needs Redis calls `require_redis()`:
skipped with the reason when it is unreachable, except under `CI=true`, where that fails.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import quote, urlunsplit

import pytest

REDIS_URL = os.environ.get("AVRECORDS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
_created: list[str] = []
_numbers = itertools.count(1)


def run_engine() -> str:
    """'postgresql' or 'sqlite': the engine this pytest run uses (DATABASE_URL)."""
    from django.db import connection

    return connection.vendor


def server_url(dbname: str = "postgres") -> str:
    """A URL for database `dbname` on the PostgreSQL server of this (PostgreSQL) pass."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    netloc = f"{auth + '@' if auth else ''}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return urlunsplit(("postgresql", netloc, "/" + dbname, "", ""))


def _unavailable(reason: str, what: str) -> None:
    message = f"{what} unreachable ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        _unavailable(str(exc), f"Redis at {REDIS_URL}")


def _run_name() -> str:
    from django.conf import settings

    return settings.DATABASES["default"]["TEST"]["NAME"]  # test_avrecords_<suffix>


def _create_database(name: str, template: str) -> str:
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'')
    _created.append(name)
    return server_url(name)


_migrated_template: str | None = None


def _migrated_template_name() -> str:
    """A database every migration has run on, made once per run by a real `avrecords migrate`
    (14 CPU-seconds and more on the server each time on PostgreSQL), to copy fresh databases
    from: `CREATE DATABASE … TEMPLATE` copies its files in a fraction of a second (issue 22).
    Nobody ever connects to it but that migrate, as a template requires."""
    global _migrated_template
    if _migrated_template is None:
        name = f"{_run_name()}_migrated"
        url = _create_database(name, "template0")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AVRECORDS_")}
        home = tempfile.mkdtemp(prefix="avrecords-template-")
        env |= {"AVRECORDS_HOME": home, "DATABASE_URL": url}
        env["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
        try:
            subprocess.run(
                [sys.executable, "-m", "avrecords.cli", "migrate", "--no-input"],
                env=env,
                capture_output=True,
                check=True,
                timeout=600,
            )
        finally:
            shutil.rmtree(home, ignore_errors=True)
        _migrated_template = name
    return _migrated_template


def fresh_database(label: str, *, migrated: bool = False) -> str:
    """Create a UTF-8 database for a subprocess (PostgreSQL pass only); returns its URL.
    Empty, or with `migrated=True` a copy of one every migration has run on (for tests about
    what comes after `init`, not about migrating; as tests/cli.py's `seed_migrated_database`
    does for SQLite)."""
    assert run_engine() == "postgresql", "fresh databases exist in the PostgreSQL pass only"
    template = _migrated_template_name() if migrated else "template0"
    return _create_database(f"{_run_name()}_{label}_{next(_numbers)}", template)


def test_database_from_migrated_template() -> None:
    """The pass's own test database (`test_avrecords_<suffix>`) made as a copy of the migrated
    template, before pytest-django sets it up (conftest keeps it, so Django only applies the
    migrations it lacks: none): the pass migrates once, not once for its test database and
    again for its subprocesses' (issue 22). Dropped with the fresh databases at the end."""
    _create_database(_run_name(), _migrated_template_name())


def same_engine_database(label: str, *, migrated: bool = False) -> str | None:
    """For a subprocess installation: a fresh PostgreSQL database in the PostgreSQL pass,
    None (its own SQLite file) in the SQLite pass."""
    return fresh_database(label, migrated=migrated) if run_engine() == "postgresql" else None


def drop_fresh_databases() -> None:
    if not _created:
        return
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as conn:
        while _created:
            conn.execute(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')
    global _migrated_template
    _migrated_template = None


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on the database at `url` (qmark placeholders, as for sqlite3)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


@contextlib.contextmanager
def database_down(error: type[Exception] | None = None):
    """Every query of this thread's connection fails as on a dropped server connection."""
    from django.db import OperationalError, connection

    def refuse(execute, sql, params, many, context):
        raise (error or OperationalError)("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield
