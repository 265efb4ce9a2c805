"""AVRECORDS_HOME is the service user's alone (issue 15, row 8).

The probe found the home 0755, the SQLite file 0644 and originals 0444/0644: any local user
could read the sessions (a superuser's was replayed from the file) and confidential media.
Every `avrecords` command now runs with the umask 077, committed originals are 0400, and
`avrecords init` tightens a home an older version left open. The commands run here as a
station or operator runs them, from a shell whose umask is the usual 022.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests import media as m
from tests.cli import CliHome
from tests.media import make_dump

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def open_to_others(root: Path) -> list[str]:
    """Every path under `root` (itself included) that its group or other users may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        try:
            if not path.is_symlink() and mode(path) & 0o077:
                found.append(f"{path} {mode(path):04o}")
        except FileNotFoundError:
            pass  # SQLite's -wal and -shm go when the last connection closes
    return found


@pytest.fixture(scope="module")
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture(scope="module")
def home(usual_umask, library, tmp_path_factory) -> tuple[CliHome, Path]:
    """A home created by `avrecords init` (it does not exist before), with one original
    ingested from a camera; returns it and the original's path."""
    tmp_path = tmp_path_factory.mktemp("permissions")
    cli = CliHome(tmp_path / "home")
    code, report = cli.ingest(make_dump(library, tmp_path / "CAMERA", [m.H264]))
    assert code == 0, report
    [key] = cli.query("SELECT storage_key FROM recordings_recording")[0]
    return cli, cli.store / key


def test_a_new_home_and_everything_in_it_is_the_service_users_alone(home):
    cli, original = home
    assert mode(cli.home) == 0o700
    assert mode(cli.home / "avrecords.sqlite3") == 0o600
    assert mode(cli.home / "secret_key") == 0o600
    for directory in (cli.store, cli.store / "originals", original.parent, original.parent.parent):
        assert mode(directory) == 0o700, directory
    assert mode(original) == 0o400  # still write-once: not even its owner may write
    assert open_to_others(cli.home) == []


def test_init_tightens_a_home_an_older_version_left_open(home):
    cli, original = home
    for path in [cli.home, *cli.home.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
        elif path.is_file() and not path.is_symlink():
            path.chmod(0o644)
    original.chmod(0o444)  # what the local store used to commit
    result = cli.run("init", check=True)
    assert "已收紧文件权限（仅服务账户可访问）" in result.stdout
    assert f"{cli.home / 'avrecords.sqlite3'}：0644 → 0600" in result.stdout
    assert mode(cli.home) == 0o700
    assert mode(cli.home / "avrecords.sqlite3") == 0o600
    assert mode(cli.store / "originals") == 0o700
    assert mode(original) == 0o400
    assert open_to_others(cli.home) == []
    again = cli.run("init", check=True)  # nothing left to do: nothing said
    assert "已收紧文件权限" not in again.stdout


def test_every_command_runs_with_the_umask_077(home):
    """serve, worker and ingest start through the same entry point as this shell."""
    cli, _original = home
    result = cli.run("shell", "-c", "import os; print(oct(os.umask(0o077)))", check=True)
    assert result.stdout.strip().splitlines()[-1] == "0o77"
