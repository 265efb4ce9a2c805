"""The agent's local journal (SQLite): every camera file's way to the platform (issue 19 §2).

A file is known by its camera's serial, its path on the camera, its size and modification
time. Its row moves queued → spooled (copied and hashed) → uploading (the tus upload's URL,
stored before the first byte is sent, so a restart resumes with HEAD) → done (the platform's
SHA-256 equals ours), or failed (tried again at the next docking, at most MAX_ATTEMPTS times).
A done file is never uploaded again. Docking, refusals, clock settings and errors are events.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

MAX_ATTEMPTS = 3
STATE_LABELS = {
    "queued": "排队等待",
    "spooled": "已暂存待上传",
    "uploading": "上传中",
    "done": "已完成",
    "failed": "失败",
}
OUTCOME_LABELS = {
    "imported": "新导入",
    "duplicate": "重复",
    "quarantined": "隔离",
    "skipped": "跳过",
    "failed": "失败",
}
EVENT_LABELS = {
    "docked": "接入",
    "refused": "拒绝",
    "unknown": "无法识别",
    "clock_set": "校时",
    "erased": "已删除",
    "error": "错误",
    "token": "令牌被拒",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL,
    relative_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    upload_url TEXT NOT NULL DEFAULT '',
    uploads_started INTEGER NOT NULL DEFAULT 0,
    bytes_sent INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    recording_id INTEGER,
    platform_sha256 TEXT NOT NULL DEFAULT '',
    verified INTEGER NOT NULL DEFAULT 0,
    erased INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (serial, relative_path, size, mtime_ns)
);
CREATE INDEX IF NOT EXISTS files_state ON files (state);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
"""


@dataclass
class FileRow:
    """One camera file as the journal knows it."""

    id: int
    serial: str
    relative_path: str
    size: int
    mtime_ns: int
    state: str
    attempts: int
    sha256: str
    upload_url: str
    uploads_started: int
    bytes_sent: int
    outcome: str
    reason: str
    recording_id: int | None
    platform_sha256: str
    verified: int
    erased: int
    first_seen: str
    updated_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Journal:
    """The journal file, shared by the camera threads (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a journaled step survives a power cut
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _rows(self, sql: str, params: tuple = ()) -> list[FileRow]:
        with self._lock:
            return [FileRow(*r) for r in self._db.execute(sql, params).fetchall()]

    # --- files ------------------------------------------------------------------------
    def file_for(self, serial: str, item) -> FileRow:
        """The row of this camera file, created queued if new."""
        now = _now()
        self._execute(
            "INSERT OR IGNORE INTO files (serial, relative_path, size, mtime_ns, first_seen,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (serial, item.relative_path, item.size, item.mtime_ns, now, now),
        )
        return self._rows(
            "SELECT * FROM files WHERE serial=? AND relative_path=? AND size=? AND mtime_ns=?",
            (serial, item.relative_path, item.size, item.mtime_ns),
        )[0]

    def get(self, file_id: int) -> FileRow:
        return self._rows("SELECT * FROM files WHERE id=?", (file_id,))[0]

    def update(self, file_id: int, **fields) -> None:
        fields["updated_at"] = _now()
        names = ", ".join(f"{k}=?" for k in fields)
        self._execute(f"UPDATE files SET {names} WHERE id=?", (*fields.values(), file_id))

    def add_sent(self, file_id: int, nbytes: int) -> None:
        self._execute("UPDATE files SET bytes_sent = bytes_sent + ? WHERE id=?", (nbytes, file_id))

    def pending(self) -> tuple[int, int]:
        """Files and bytes still to reach the platform (the heartbeat's queue)."""
        with self._lock:
            count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE state != 'done'"
                " AND NOT (state = 'failed' AND attempts >= ?)",
                (MAX_ATTEMPTS,),
            ).fetchone()
        return count, size

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()
        return dict(rows)

    def unfinished(self, limit: int = 50) -> list[FileRow]:
        return self._rows(
            "SELECT * FROM files WHERE state != 'done' ORDER BY updated_at DESC LIMIT ?", (limit,)
        )

    def all_files(self) -> list[FileRow]:
        return self._rows("SELECT * FROM files ORDER BY id")

    # --- events -----------------------------------------------------------------------
    def event(self, kind: str, message: str, serial: str = "") -> None:
        self._execute(
            "INSERT INTO events (at, serial, kind, message) VALUES (?, ?, ?, ?)",
            (_now(), serial, kind, message),
        )

    def events(self, limit: int = 20) -> list[tuple[str, str, str, str]]:
        with self._lock:
            return self._db.execute(
                "SELECT at, serial, kind, message FROM events ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
