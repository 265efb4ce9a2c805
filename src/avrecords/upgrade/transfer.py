"""Move an embedded installation (SQLite + local store) onto the configured engines.

The deployment side of every requirement (issue 3 §6): a county office that started on
the embedded default grows into PostgreSQL and an S3 Object Lock store without losing a
byte or an audit entry. The old installation is only read:

1. its database is copied with SQLite's online backup API and migrated (the copy, not the
   original) to the running code's schema, then dumped as JSON lines by a child process
   that runs with the old installation's settings;
2. every original and quarantined file is put into the target store, hashed in the same
   pass; a hash that differs from the recorded one stops the transfer (M2);
3. only then are the rows loaded into the target database, in one transaction, keeping
   every primary key (the audit chain's hashes cover the actor's id), with each object's
   new store version filled in;
4. the target's audit chain is verified, row counts are compared, and the transfer itself
   is audited.

Objects are committed before the rows that refer to them, as in ingest, so an interrupted
transfer leaves at most unreferenced objects in the target store, and running it again
finishes the job.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from avrecords.audit import services as audit
from avrecords.lib.storage import get_store
from avrecords.lib.storage.local import LocalStore
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile

log = logging.getLogger(__name__)

OBJECT_MODELS = {"recordings.recording", "recordings.quarantinedfile"}
# Rows the target makes for itself, or that mean nothing on another installation.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]
# Models whose rows in the target mean it is not empty: refuse rather than merge.
MUST_BE_EMPTY = [
    "org.user",
    "org.unit",
    "audit.auditentry",
    "recordings.recording",
    "policies.unitpolicy",
    "policies.holidayoverride",
    "compliance.activity",
]


class TransferError(Exception):
    """The transfer cannot go on; the message is for the operator (Chinese)."""


@dataclass
class TransferReport:
    rows: Counter = field(default_factory=Counter)
    objects: int = 0
    objects_already_present: int = 0
    bytes: int = 0
    seconds: float = 0.0
    audit_entries: int = 0


def transfer(old_home: Path, *, on_object: Callable[[int], None] | None = None) -> TransferReport:
    """Copy the installation in ``old_home`` into the configured database and store."""
    started = time.monotonic()
    old_home = Path(old_home).resolve()
    old_db = old_home / "avrecords.sqlite3"
    old_store_path = old_home / "store"
    if not old_db.is_file():
        raise TransferError(f"旧安装目录中没有数据库文件：{old_db}")
    if not old_store_path.is_dir():
        raise TransferError(f"旧安装目录中没有存储目录：{old_store_path}")
    _refuse_non_empty_target()

    report = TransferReport()
    with tempfile.TemporaryDirectory(prefix="avrecords-transfer-") as scratch:
        scratch_home = Path(scratch) / "home"
        scratch_home.mkdir()
        _backup_sqlite(old_db, scratch_home / "avrecords.sqlite3")
        dump = Path(scratch) / "dump.jsonl"
        _run_old(scratch_home, ["migrate", "--no-input", "-v", "0"])
        _run_old(scratch_home, ["dumpdata", "--format", "jsonl", *_excludes(), "-o", str(dump)])
        loadable = Path(scratch) / "load.jsonl"
        exact = _ExactDatetimes(scratch_home / "avrecords.sqlite3")
        _copy_objects(LocalStore(old_store_path), dump, loadable, report, on_object, exact)
        with transaction.atomic():
            # The new database's migrate installed this version's built-in policy profiles;
            # the old installation's rows (same codes, perhaps older texts, referenced by its
            # unit assignments) replace them, and are then brought up to this version.
            PolicyProfile.objects.filter(builtin=True, unitpolicy__isnull=True).delete()
            call_command("loaddata", str(loadable), verbosity=0)
            policies.sync_builtin()
        _copy_derived(old_home / "derived")
    _check_counts(report)
    result = audit.verify_chain()
    if not result.ok:
        raise TransferError(
            f"迁移后审计日志校验失败：第 {result.first_bad_seq} 条，{result.problem}"
        )
    report.audit_entries = result.checked
    report.seconds = time.monotonic() - started
    audit.record(
        "install.transferred",
        summary=f"从 {old_home} 迁入 {report.objects} 个文件、{sum(report.rows.values())} 行数据",
        detail={
            "from": str(old_home),
            "objects": report.objects,
            "bytes": report.bytes,
            "rows": dict(report.rows),
        },
    )
    return report


def _refuse_non_empty_target() -> None:
    for label in MUST_BE_EMPTY:
        model = apps.get_model(label)
        if model.objects.exists():
            raise TransferError(
                f"目标数据库已有数据（{model._meta.verbose_name}），迁移只能写入新建的空数据库"
            )


def _backup_sqlite(source: Path, dest: Path) -> None:
    """A consistent copy even while the old services still run (SQLite online backup)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _excludes() -> list[str]:
    return [arg for label in EXCLUDED for arg in ("-e", label)]


def _run_old(home: Path, args: list[str]) -> None:
    """Run an avrecords command as the old, embedded installation (SQLite, local store)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AVRECORDS_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(AVRECORDS_HOME=str(home), DJANGO_SETTINGS_MODULE="avrecords.settings")
    code = "import sys; from avrecords.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "avrecords", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log.error("old-installation command %s failed: %s", args[0], result.stderr.strip())
        raise TransferError(f"读取旧安装失败（{args[0]}）：{result.stderr.strip()[-300:]}")


class _ExactDatetimes:
    """Datetimes as stored, to the microsecond.

    Django's JSON serializer keeps only milliseconds, but each audit entry's hash covers its
    time to the microsecond (and nothing else should lose precision either), so every
    DateTimeField is read back from the SQLite copy itself.
    """

    def __init__(self, db_path: Path) -> None:
        self._db = sqlite3.connect(db_path)
        self._cache: dict[str, tuple[list[str], dict]] = {}

    def patch(self, row: dict) -> None:
        names, values = self._table(row["model"])
        found = values.get(row["pk"])
        if found is None:
            return
        for name, raw in zip(names, found, strict=True):
            row["fields"][name] = None if raw is None else raw.replace(" ", "T") + "+00:00"

    def _table(self, label: str) -> tuple[list[str], dict]:
        if label not in self._cache:
            model = apps.get_model(label)
            fields = [
                f
                for f in model._meta.concrete_fields
                if f.get_internal_type() == "DateTimeField" and not f.primary_key
            ]
            values = {}
            if fields:
                columns = ", ".join(f'"{f.column}"' for f in fields)
                pk = model._meta.pk.column
                query = f'SELECT "{pk}", {columns} FROM "{model._meta.db_table}"'
                values = {r[0]: r[1:] for r in self._db.execute(query)}
            self._cache[label] = ([f.name for f in fields], values)
        return self._cache[label]


def _copy_objects(old_store, dump: Path, out: Path, report, on_object, exact) -> None:
    """Put every referenced original into the target store; write rows with new versions."""
    target = get_store()
    with open(dump, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            row = json.loads(line)
            report.rows[row["model"]] += 1
            exact.patch(row)
            if row["model"] in OBJECT_MODELS:
                fields = row["fields"]
                result = _put_verified(old_store, target, fields, row["pk"], row["model"])
                fields["storage_version"] = result.version
                report.objects += 1
                report.objects_already_present += result.already_present
                report.bytes += result.size_bytes
                if on_object:
                    on_object(result.size_bytes)
            dst.write(json.dumps(row, ensure_ascii=False) + "\n")


def _put_verified(old_store, target, fields, pk, model):
    key, expected = fields["storage_key"], fields["sha256"]
    try:
        source = old_store.open(key)
    except FileNotFoundError as exc:
        raise TransferError(f"旧存储中缺少文件：{model} #{pk}（{key}）") from exc
    with source:
        result = target.put(source, area=key.split("/", 1)[0])
    if result.sha256 != expected:
        log.error(
            "hash mismatch for %s #%s: recorded %s, read %s", model, pk, expected, result.sha256
        )
        raise TransferError(
            f"文件哈希不符，迁移已停止：{model} #{pk}，登记 {expected[:12]}…，读出 {result.sha256[:12]}…"
        )
    return result


def _copy_derived(old_derived: Path) -> None:
    """Thumbnails and proxies go to the target's derived directory (they can be re-made)."""
    target = Path(settings.AVRECORDS_DERIVED_PATH).resolve()
    if old_derived.is_dir() and old_derived.resolve() != target:
        shutil.copytree(old_derived, target, dirs_exist_ok=True)


def _check_counts(report: TransferReport) -> None:
    for label, expected in report.rows.items():
        actual = apps.get_model(label).objects.count()
        if actual < expected:
            raise TransferError(f"迁移后行数不符：{label} 应为 {expected}，实为 {actual}")
