"""Loading seeded rows fast (M4 benchmarks): PostgreSQL COPY, SQLite executemany.

A large load into a small table first sets the table's secondary indexes and constraints
aside and builds them again at the end, in the same transaction: building an index once is
much faster than maintaining it row by row, and a load that fails leaves the schema intact.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from avrecords.recordings.models import Recording

log = logging.getLogger("avrecords.seed")
TABLE = Recording._meta.db_table
INDEX_BUILD_MEMORY = "512MB"


@dataclass
class LoadTimes:
    """Seconds spent writing rows and rebuilding indexes."""

    rows_seconds: float = 0.0
    index_seconds: float = 0.0


def columns() -> list:
    return [f for f in Recording._meta.concrete_fields if not (f.primary_key or f.generated)]


def _fill(chunk: dict[str, list], fields: list, rows: int) -> list[list]:
    """Every column in model order; columns the generator does not know get their default."""
    out = []
    for field in fields:
        values = chunk.get(field.attname)
        if values is None:
            default = field.get_default() if field.has_default() or not field.null else None
            values = [default] * rows
        out.append(values)
    return out


def load(
    chunks: Iterable[dict[str, list]], *, rebuild_indexes: bool, progress: Callable[[int], None]
) -> LoadTimes:
    writer = _load_postgresql if connection.vendor == "postgresql" else _load_sqlite
    with transaction.atomic():
        return writer(chunks, rebuild_indexes, progress)


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_set_aside(cursor) -> list[str]:
    """Drop foreign keys, unique constraints and secondary indexes; return the DDL to restore."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC",
        [TABLE],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass AND NOT indisprimary AND indexrelid NOT IN "
        "(SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
        [TABLE, TABLE],
    )
    indexes = cursor.fetchall()
    for name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    restore = [ddl for _, ddl in indexes]
    # Unique constraints before foreign keys ('u' sorts after 'f', hence DESC above, reversed).
    restore += [
        f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {ddl}'
        for name, ddl, _ in reversed(constraints)
    ]
    return restore


def _pg_text(values: list, field) -> list[str]:
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if internal in ("DateTimeField",):
        return ["\\N" if v is None else v + "+00" for v in values]
    return ["\\N" if v is None else str(v) for v in values]


def _load_postgresql(chunks, rebuild_indexes, progress) -> LoadTimes:
    times = LoadTimes()
    fields = columns()
    names = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction (the batch)
        # must run now: a table with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        restore = _pg_set_aside(cursor) if rebuild_indexes else []
        started = time.monotonic()
        with cursor.cursor.copy(f'COPY "{TABLE}" ({names}) FROM STDIN') as copy:
            for chunk in chunks:
                rows = len(chunk["sha256"])
                cols = [
                    _pg_text(v, f) for v, f in zip(_fill(chunk, fields, rows), fields, strict=True)
                ]
                copy.write(
                    "".join(
                        f"{line}\n" for line in map("\t".join, zip(*cols, strict=True))
                    ).encode()
                )
                progress(rows)
        times.rows_seconds = time.monotonic() - started
        started = time.monotonic()
        for ddl in restore:
            step = time.monotonic()
            cursor.execute(ddl)
            log.info("rebuilt in %.1f s: %s", time.monotonic() - step, ddl[:120])
        times.index_seconds = time.monotonic() - started
    return times


def vacuum_analyze() -> None:
    """Set the visibility map (index-only scans) and planner statistics after a load."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(f'VACUUM (ANALYZE) "{TABLE}"')
        else:  # VACUUM cannot run in a transaction (a test's, say); statistics still help
            cursor.execute(f'ANALYZE "{TABLE}"')


# --- SQLite -------------------------------------------------------------------------------


def _load_sqlite(chunks, rebuild_indexes, progress) -> LoadTimes:
    times = LoadTimes()
    fields = columns()
    names = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join("?" * len(fields))
    with connection.cursor() as cursor:
        restore = []
        if rebuild_indexes:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [TABLE],
            )
            restore = cursor.fetchall()
            for name, _ in restore:
                cursor.execute(f'DROP INDEX "{name}"')
        replays = _sqlite_set_triggers_aside(cursor) if rebuild_indexes else []
        cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{TABLE}"')
        last_id = cursor.fetchone()[0]
        started = time.monotonic()
        raw = cursor.cursor  # the sqlite3 cursor: plain '?' placeholders
        for chunk in chunks:
            rows = len(chunk["sha256"])
            raw.executemany(
                f'INSERT INTO "{TABLE}" ({names}) VALUES ({marks})',
                zip(*_fill(chunk, fields, rows), strict=True),
            )
            progress(rows)
        times.rows_seconds = time.monotonic() - started
        started = time.monotonic()
        for _, ddl in restore:
            cursor.execute(ddl)
        for replay, ddl in replays:
            step = time.monotonic()
            cursor.execute(replay, [last_id])
            cursor.execute(ddl)
            log.info("trigger replayed in %.1f s: %s", time.monotonic() - step, ddl[:80])
        times.index_seconds = time.monotonic() - started
    return times


_INSERT_TRIGGER = re.compile(
    r"AFTER INSERT ON \S+ BEGIN (INSERT INTO [^;]*?) VALUES \((.*)\); END", re.DOTALL
)


def _sqlite_set_triggers_aside(cursor) -> list[tuple[str, str]]:
    """Drop the table's AFTER INSERT triggers whose body is one INSERT … VALUES (the FTS5 text
    index's, migration recordings 0012) and return, for each, the same INSERT as one
    INSERT … SELECT over the rows loaded (id > %s) and the DDL to restore it: one pass over
    the new rows is about ten times faster than a trigger run per row."""
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
        [TABLE],
    )
    replays = []
    for name, ddl in cursor.fetchall():
        match = _INSERT_TRIGGER.search(ddl)
        if not match:
            continue  # not fired by inserts, or not one we can replay: it stays
        head, values = match.groups()
        replay = f'{head} SELECT {values} FROM "{TABLE}" AS new WHERE new.id > %s'
        cursor.execute(f'DROP TRIGGER "{name}"')
        replays.append((replay, ddl))
    return replays
