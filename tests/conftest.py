"""Shared fixtures: an isolated store per test, generated media, and stock users per role.

Database-specific tests. `make test` runs every test on SQLite and, at the same time, the
database-specific ones on PostgreSQL (`-m database_specific`; `make test-postgresql-all` runs
every test there). A test is database-specific when what it proves depends on the engine:
locking and concurrency (select_for_update, claims by conditional UPDATE), text and trigram
search, migrations, transactions, triggers and constraints, the engine's limits, a database
that is down. It is marked so in one of three ways:

- `@pytest.mark.database_specific` on the test (or `pytestmark` in its module);
- its module named in DATABASE_SPECIFIC_MODULES below (every test in it);
- it commits real transactions (`django_db(transaction=True)` or `transactional_db`).

pytest-xdist (`-n 2`, the SQLite pass of `make test`): each worker gets its own
AVRECORDS_HOME (queue, keys, uploads and its own SQLite test database).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
from pathlib import Path

import pytest
from django.test import Client

from avrecords.equipment.custody import issue_device
from avrecords.equipment.models import Device, Station
from avrecords.lib.storage import get_store
from avrecords.org.models import Role, Unit, User
from tests.cli import migrated_database
from tests.media import build_library

PASSWORD = "test-password-1"
pytest_plugins = [
    "tests.s3server",
    "tests.permissions.world",
    "tests.supervision_fixtures",
    "tests.compliance_fixtures",
]

# Modules whose every test is database-specific (see the module docstring).
DATABASE_SPECIFIC_MODULES = {
    "test_postgresql.py",  # the PostgreSQL pass's own prerequisites
    "test_search.py",  # text search: LIKE on SQLite, the trigram index on PostgreSQL
    "test_scope_rule.py",  # each model's scope query, which every list and lookup filters by
    "test_audit_chain.py",  # the append-only triggers
    "test_audit_concurrent_appends.py",  # the chain's head row locked by concurrent writers
    "test_jobs_database_down.py",
    "test_jobs_many_workers.py",
    "test_database_down_web.py",
    "test_transfer.py",  # an embedded installation moved onto the configured engines
    "test_violation_register_move.py",  # migrations forwards and back
    "test_org_suspensions.py",  # a migration moving rows between apps
}


def _uses_database(item) -> bool:
    names = getattr(item, "fixturenames", ())
    return bool(item.get_closest_marker("django_db")) or any(
        name in names for name in ("db", "transactional_db", "live_server")
    )


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Marks the database-specific tests before any other plugin (so `-m` sees the marks);
    then, after pytest-django has put the transactional tests last, moves the tests that use
    no database first: the long ones that run the product in subprocesses (a crash, the
    end-to-end server, the 4 GiB package) start at once on the xdist workers instead of
    ending one worker's queue alone."""
    tests = Path(__file__).parent
    if missing := sorted(n for n in DATABASE_SPECIFIC_MODULES if not (tests / n).exists()):
        raise pytest.UsageError(f"DATABASE_SPECIFIC_MODULES names missing modules: {missing}")
    database_specific = pytest.mark.database_specific
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = "transactional_db" in getattr(item, "fixturenames", ()) or bool(
            marker and marker.kwargs.get("transaction")
        )
        if transactional or item.path.name in DATABASE_SPECIFIC_MODULES:
            item.add_marker(database_specific)
    result = yield
    items.sort(key=_uses_database)  # stable: the database tests keep pytest-django's order
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Each pytest-xdist worker gets an AVRECORDS_HOME of its own, inside the run's, and all
    of them one hash seed (ids made from sets come out alike, as xdist requires; a new seed
    each run)."""
    os.environ.setdefault("PYTHONHASHSEED", str(random.randrange(1, 2**32)))
    home = Path(os.environ["AVRECORDS_HOME"])  # settings_test makes one if none was given
    for spec in specs:
        (home / spec.id).mkdir(parents=True, exist_ok=True)
        spec.env["AVRECORDS_HOME"] = str(home / spec.id)
        spec.env["AVRECORDS_TEST_RUN_HOME"] = str(home)  # what the workers share (tests/cli.py)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, each test database starts as a copy of the run's one migrated database
    (tests/cli.py's `migrated_database`, shared by the xdist workers and the command-line
    homes), and Django, keeping it (`django_db_keepdb`), applies only the migrations it lacks:
    none. One migration a run instead of one per worker and another per worker's command-line
    template, about 12 CPU-s each (issue 22). On PostgreSQL, likewise a copy of the pass's
    migrated template (tests/backends.py), which its subprocesses' databases are copied from."""
    from django.conf import settings

    from tests import backends

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        shutil.copy(migrated_database(), database["TEST"]["NAME"])
    elif database["ENGINE"] == "django.db.backends.postgresql":
        backends.test_database_from_migrated_template()


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_modify_db_settings) -> bool:
    """Keep the copied database (above) instead of making a new one; it goes with the run's
    home (SQLite) or with the fresh databases (PostgreSQL, `fresh_databases_dropped`)."""
    return True


@pytest.fixture(scope="session", autouse=True)
def fresh_databases_dropped():
    """PostgreSQL databases made for subprocess tests go when the run ends (tests/backends.py)."""
    yield
    from tests import backends

    backends.drop_fresh_databases()


@pytest.fixture(scope="session", autouse=True)
def audit_signing_key():
    """The signing key `avrecords init` makes (X1), once for the run, in the test home."""
    from avrecords.audit import anchors

    anchors.ensure_key()


@pytest.fixture(autouse=True)
def isolated_store(settings, tmp_path):
    """Every test gets its own store of originals and derived copies (and audit anchors:
    each test's chain starts again at entry 1)."""
    settings.AVRECORDS_STORE_PATH = tmp_path / "store"
    settings.AVRECORDS_DERIVED_PATH = tmp_path / "derived"
    settings.AVRECORDS_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    get_store.cache_clear()
    yield settings.AVRECORDS_STORE_PATH
    get_store.cache_clear()


@pytest.fixture(autouse=True)
def audit_triggers(request):
    """Append-only triggers in force for every test; lifted only so a transactional test's
    end-of-test flush can empty the tables (which is exactly what they exist to refuse)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not (transactional or marker or "db" in request.fixturenames):
        yield
        return
    from django.db import connection

    from avrecords.audit import triggers

    request.getfixturevalue("transactional_db" if transactional else "db")
    triggers.install(connection)
    yield
    if transactional:
        triggers.remove(connection)


@pytest.fixture(scope="session")
def library(tmp_path_factory):
    return build_library(tmp_path_factory.mktemp("library"))


class Org:
    """A bureau with two squads; users of every role; two cameras and a station per squad."""

    def __init__(self) -> None:
        self.bureau = Unit.objects.create(name="某市市场监督管理局", code="T350200")
        self.squad1 = Unit.objects.create(name="执法一中队", code="T350200-01", parent=self.bureau)
        self.squad2 = Unit.objects.create(name="执法二中队", code="T350200-02", parent=self.bureau)
        self.officer = self._user(
            "zhangwei",
            "张伟",
            Role.OFFICER,
            self.squad1,
            badge_no="35020019001",
            officer_no="350211",
        )
        self.officer2 = self._user(
            "wangfang",
            "王芳",
            Role.OFFICER,
            self.squad1,
            badge_no="35020019002",
            officer_no="350212",
        )
        self.other_officer = self._user(
            "yangjun",
            "杨军",
            Role.OFFICER,
            self.squad2,
            badge_no="35020019006",
            officer_no="350221",
        )
        self.admin = self._user("guanli", "林海", Role.ADMIN, self.squad1)
        self.other_admin = self._user("guanli2", "周敏", Role.ADMIN, self.squad2)
        self.bureau_admin = self._user("juguanli", "郑华", Role.ADMIN, self.bureau)
        self.leader = self._user("lingdao", "郑国华", Role.LEADER, self.bureau)
        self.head2 = self._user("zhongdui2", "孙立", Role.UNIT_HEAD, self.squad2)
        self.sysadmin = self._user("xitong", "系统管理员", Role.SYSADMIN, None)
        self.camera = Device.objects.create(serial="3501001", unit=self.squad1)
        self.camera2 = Device.objects.create(serial="3501004", unit=self.squad2)
        issue_device(self.camera, self.officer, when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        issue_device(self.camera2, self.other_officer, when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        self.station = Station.objects.create(name="一中队采集站", unit=self.squad1)
        self.station2 = Station.objects.create(name="二中队采集站", unit=self.squad2)

    @staticmethod
    def _user(username, full_name, role, unit, **extra) -> User:
        user = User(username=username, full_name=full_name, role=role, unit=unit, **extra)
        user.set_password(PASSWORD)
        user.save()
        return user


@pytest.fixture
def org(db) -> Org:
    return Org()


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# A place for a count in the menu or the top bar (web/menu.py), empty or holding its badge.
_COUNT_PLACE = re.compile(
    r'<span id="(count-[\w-]+)" class="menu-count"[^>]*>((?: <span class="count-badge">\d+</span>)?)</span>'
)


def with_menu_counts(client: Client, path: str) -> str:
    """The page at `path` as its reader sees it once the menu's counts have arrived: each
    place filled from `/menu/counts`, which the page asks on load (issue 22; the workbench
    draws them in place), and the places unwrapped, so a count reads `待办 <span
    class="count-badge">1</span>`. Every place of the page must be answered."""
    page = client.get(path).content.decode()
    if 'hx-get="/menu/counts"' in page:
        answer = {m[1]: m[2] for m in _COUNT_PLACE.finditer(client.get("/menu/counts").text)}
        assert {m[1] for m in _COUNT_PLACE.finditer(page)} <= answer.keys()
        page = _COUNT_PLACE.sub(lambda m: answer[m[1]], page)
    return _COUNT_PLACE.sub(lambda m: m[2], page)
