"""An installation's files are the service user's alone (issue 15, row 8).

AVRECORDS_HOME holds the SQLite database (with every session), the secret key, the signing
key and the originals of confidential recordings: a home of 0755 with files of 0644 let any
local user read them (a superuser's session was replayed from the database file). So every
`avrecords` command sets the umask 077 before it creates anything (files 0600, directories
0700; the local store then makes each committed original 0400), and `avrecords init` takes
group and other bits off whatever an older version left behind.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PRIVATE_UMASK = 0o077
GROUP_AND_OTHER_BITS = 0o077


def make_private() -> None:
    """From now on this process creates files 0600 and directories 0700."""
    os.umask(PRIVATE_UMASK)


@dataclass
class Tightened:
    """What `tighten` changed, and what it could not (a file owned by someone else)."""

    changed: list[tuple[Path, int, int]] = field(default_factory=list)  # path, before, after
    failed: list[tuple[Path, OSError]] = field(default_factory=list)


def tighten(roots: Iterable[Path]) -> Tightened:
    """Take the group and other bits off every directory and file under `roots` (a root may
    be a single file; missing ones are skipped): 0755 becomes 0700, 0644 0600, a read-only
    original's 0444 0400. Symbolic links inside are neither changed nor followed."""
    result = Tightened()
    for root in _outermost(roots):
        if not root.exists():
            continue
        _tighten_one(root, result)
        for folder, dirs, files in os.walk(root, onerror=lambda exc: _failed(exc, result)):
            for name in (*dirs, *files):
                _tighten_one(Path(folder) / name, result)
    return result


def _outermost(roots: Iterable[Path]) -> list[Path]:
    """The roots without those inside another (each tree is walked once)."""
    resolved = sorted({Path(r).resolve() for r in roots}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for root in resolved:
        if not any(root.is_relative_to(outer) for outer in kept):
            kept.append(root)
    return kept


def _tighten_one(path: Path, result: Tightened) -> None:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return
        mode = stat.S_IMODE(info.st_mode)
        if mode & GROUP_AND_OTHER_BITS:
            os.chmod(path, mode & ~GROUP_AND_OTHER_BITS)
            result.changed.append((path, mode, mode & ~GROUP_AND_OTHER_BITS))
    except FileNotFoundError:
        pass  # removed meanwhile (a temporary file)
    except OSError as exc:
        result.failed.append((path, exc))


def _failed(exc: OSError, result: Tightened) -> None:
    result.failed.append((Path(exc.filename or ""), exc))
