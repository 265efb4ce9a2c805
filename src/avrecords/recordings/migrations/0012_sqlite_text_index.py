"""Search at scale on SQLite (M4, issue 22 §3): an FTS5 trigram index of party, place, case
number and file name, so that text searches stop reading every row.

The contentless FTS5 table `recordings_recording_text` holds each field as it is, a paired
copy (␂ then ǂ after every character, so that two characters make one trigram) and the file
name after ␂ (recordings/textsearch.py says how searches use them). Triggers keep it in step
with every insert, update of those fields and delete, in plain SQL: the paired copy is built
character by character up to each field's max_length (party and place 200, case number 64),
since SQLite has neither regexp_replace nor recursion inside triggers. SQLite's lower()
folds ASCII only, exactly as the LIKE conditions it replaces compare.

SQLite only (3.34+ for the trigram tokenizer): nothing runs on PostgreSQL, which has its
pg_trgm index (0004).
"""

import sqlite3

from django.db import migrations

TABLE = "recordings_recording_text"
SOURCE = "recordings_recording"
PAIR = "ǂ"
START = "char(2)"
CHUNK_CHARS = 8
LENGTHS = {"party": 200, "place": 200, "case_number": 64}


def _paired(row: str, column: str, length: int) -> str:
    """␂ then every character of lower(column) followed by ǂ, in SQL (no loops there): eight
    characters at a time, each group computed only if the field reaches it."""
    field = f"{row}.{column}"
    groups = []
    for first in range(1, length + 1, CHUNK_CHARS):
        last = min(first + CHUNK_CHARS, length + 1)
        chars = " || ".join(f"substr({field}, {k}, 1) || '{PAIR}'" for k in range(first, last))
        groups.append(f"iif(length({field}) >= {first}, {chars}, '')")
    return f"{START} || lower(substr({' || '.join(groups)}, 1, 2 * length({field})))"


def _values(row: str) -> str:
    plain = [f"lower({row}.{column})" for column in LENGTHS]
    paired = [_paired(row, column, length) for column, length in LENGTHS.items()]
    name = f"{START} || lower({row}.original_name)"
    return ", ".join([f"{row}.id", *plain, *paired, name])


COLUMNS = "party, place, case_number, party_pairs, place_pairs, case_number_pairs, name_start"
CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5({COLUMNS}, content='', "
    "tokenize='trigram case_sensitive 1')",
    f"INSERT INTO {TABLE} (rowid, {COLUMNS}) SELECT {_values(SOURCE)} FROM {SOURCE}",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES ({_values('new')}); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', {_values('old')}); END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF party, place, case_number, original_name "
    f"ON {SOURCE} BEGIN "
    f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', {_values('old')}); "
    f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES ({_values('new')}); END",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {TABLE}_insert",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        if sqlite3.sqlite_version_info < (3, 34, 0):
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} lacks FTS5's trigram tokenizer (3.34+)"
            )
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0011_resumable_upload"),
    ]

    operations = [
        migrations.RunPython(_run(CREATE), _run(DROP), elidable=False),
    ]
