"""X1 on both engines: writers appending at once never share a sequence number or break the
chain (AuditHead is locked with select_for_update on PostgreSQL, by IMMEDIATE on SQLite)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from avrecords.audit.models import AuditEntry
from avrecords.audit.services import record, verify_chain

WRITERS = 4
ENTRIES_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain():
    start = threading.Barrier(WRITERS)

    def append(writer: int) -> None:
        try:
            start.wait()
            for n in range(ENTRIES_EACH):
                record("test.concurrent", summary=f"写入者{writer}第{n}条")
        finally:
            connection.close()

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(append, range(WRITERS)))

    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * ENTRIES_EACH + 1))
    result = verify_chain()
    assert result.ok, result.problem
