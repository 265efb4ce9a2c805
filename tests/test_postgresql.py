"""Issue 3 §1: what the PostgreSQL pass relies on — a UTF-8 database whose character type lets
pg_trgm cut Chinese into trigrams, and the append-only audit triggers in force there."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from avrecords.audit.models import AuditEntry
from avrecords.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in the PostgreSQL pass")


def _one(sql: str, params: tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_the_test_database_is_utf8_with_a_utf8_character_type():
    encoding, ctype = _one(
        "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database"
        " WHERE datname = current_database()"
    )
    assert encoding == "UTF8"
    # With LC_CTYPE "C", pg_trgm sees no letters in Chinese text and trigram search finds nothing.
    assert "utf8" in ctype.lower().replace("-", ""), f"LC_CTYPE is {ctype!r}"


def test_trigrams_are_made_of_chinese_text():
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    (trigrams,) = _one("SELECT show_trgm(%s)", ("当事人张三",))
    assert len(trigrams) >= 3
    (similar,) = _one("SELECT %s %% %s", ("市场监督管理局", "市场监督管理"))
    assert similar


def test_the_audit_triggers_refuse_updates_and_deletes_from_raw_sql():
    entry = record("test.event", summary="一条审计记录")
    for sql in (
        "UPDATE audit_auditentry SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, (entry.pk,))
    assert AuditEntry.objects.get(pk=entry.pk).summary == "一条审计记录"


def test_times_are_stored_in_utc_whatever_the_session_time_zone():
    entry = record("test.event")
    (zone,) = _one("SHOW TIME ZONE")
    (stored,) = _one("SELECT at FROM audit_auditentry WHERE id = %s", (entry.pk,))
    assert zone == "UTC" and stored == entry.at
