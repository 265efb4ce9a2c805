"""X1: the audit chain's verification, what `make mutate` found no test for (issue 23 §2).

tests/test_audit_chain.py tampers inside the chain; these check the chain's end against its
head and what `verify_chain` reports (entries checked, the first bad one, why), which
`avrecords audit verify` and the audit page show. Each test names the mutant it kills.
"""

from __future__ import annotations

import pytest
from django.db import connection

from avrecords.audit import services as audit
from avrecords.audit import triggers
from avrecords.audit.chain import hash_entry
from avrecords.audit.models import AuditEntry, AuditHead


@pytest.fixture
def chain(org):
    for i in range(5):
        audit.record(
            "recording.view",
            actor=org.admin,
            object_type="recordings.recording",
            object_id=i,
            summary=f"查看 第{i}号",
            detail={"i": i},
        )
    return list(AuditEntry.objects.order_by("seq"))


def _rewrite(entry: AuditEntry, summary: str) -> None:
    """Edit an entry and store a hash that matches the edit, as someone with direct database
    access who knows the hashing would."""
    triggers.remove(connection)
    fields = dict(
        seq=entry.seq,
        at=audit._normalise(entry.at),
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        summary=summary,
        detail=entry.detail,
        ip=entry.ip,
        prev_hash=entry.prev_hash,
    )
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET summary = %s, entry_hash = %s WHERE seq = %s",
            [summary, hash_entry(**fields), entry.seq],
        )


@pytest.mark.parametrize("batch_size", [2000, 2])
def test_an_untouched_chain_reports_every_entry_checked(chain, batch_size):
    """Across batches too: the count shown after 共校验 is every entry."""
    result = audit.verify_chain(batch_size=batch_size)
    assert (result.checked, result.ok, result.first_bad_seq, result.problem) == (
        len(chain),
        True,
        None,
        "",
    )


def test_the_last_entry_rewritten_with_a_matching_hash_is_caught_by_the_head(chain):
    """No later entry links to the last one, so only the head's hash can tell (mutant: the
    head compared on its seq and hash together instead of either)."""
    last = chain[-1]
    _rewrite(last, "篡改")
    result = audit.verify_chain()
    assert not result.ok
    assert result.first_bad_seq == last.seq + 1
    assert result.problem == f"chain ends at {last.seq} but head says {last.seq}"
    assert result.checked == len(chain)


def test_a_head_ahead_of_the_chain_is_reported(chain):
    """Entries cut from the end and the head left alone: the chain is short."""
    AuditHead.objects.filter(id=1).update(last_seq=chain[-1].seq + 3)
    result = audit.verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, chain[-1].seq + 1)
    assert result.problem == f"chain ends at {chain[-1].seq} but head says {chain[-1].seq + 3}"


def test_a_broken_entry_reports_how_many_were_checked_before_it_and_why(chain):
    triggers.remove(connection)
    bad = chain[2]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["别人", bad.seq]
        )
    result = audit.verify_chain(batch_size=2)
    assert result.ok is False
    assert result.first_bad_seq == bad.seq
    assert result.checked == 2  # the two entries before it
    assert result.problem == f"entry {bad.seq} was altered (hash mismatch)"


def test_an_entry_hash_covers_the_documented_payload_byte_for_byte():
    """A chain written by an earlier release, and the anchors signed over it, must verify
    after an upgrade: the payload is the entry's fields as compact JSON with sorted keys,
    Chinese unescaped, the time to the microsecond (written out here by hand). Any change to
    a key, the separators or the encoding breaks every existing chain (mutants of
    audit/chain.py that verify only against themselves)."""
    import datetime as dt
    import hashlib

    from avrecords.audit.chain import GENESIS_HASH, entry_payload

    fields = dict(
        seq=7,
        at=dt.datetime(2026, 10, 12, 2, 3, 4, tzinfo=dt.UTC),
        actor_id=3,
        actor_label="王芳",
        action="recording.view",
        object_type="recordings.recording",
        object_id="42",
        summary="查看 第42号",
        detail={"b": 1, "a": [1, 2]},
        ip="10.0.0.1",
        prev_hash=GENESIS_HASH,
    )
    payload = (
        '{"action":"recording.view","actor_id":3,"actor_label":"王芳",'
        '"at":"2026-10-12T02:03:04.000000+00:00","detail":{"a":[1,2],"b":1},'
        '"ip":"10.0.0.1","object_id":"42","object_type":"recordings.recording",'
        f'"prev_hash":"{"0" * 64}","seq":7,"summary":"查看 第42号"}}'
    ).encode()
    assert entry_payload(**fields) == payload
    assert hash_entry(**fields) == hashlib.sha256(payload).hexdigest()
    assert GENESIS_HASH == "0" * 64


def test_an_entry_relinked_elsewhere_is_reported_as_not_following_the_one_before(chain):
    """`avrecords audit verify` prints the entry that no longer links to the one before it,
    naming both: the operator looks at those two rows (mutant: the wrong neighbour named)."""
    triggers.remove(connection)
    bad = chain[3]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET prev_hash = %s WHERE seq = %s",
            [chain[0].entry_hash, bad.seq],
        )
    result = audit.verify_chain()
    assert (result.ok, result.first_bad_seq, result.checked) == (False, bad.seq, 3)
    assert result.problem == f"entry {bad.seq} does not link to entry {bad.seq - 1}"


def test_a_chain_with_nothing_written_yet_verifies(db):
    """A new installation's head (no entry yet, its defaults: 0 and the genesis hash) is a
    whole chain: no alarm before the first entry (mutant: the walk starting after entry 1)."""
    assert not AuditEntry.objects.exists()
    AuditHead.objects.get_or_create(id=1)
    result = audit.verify_chain()
    assert (result.ok, result.checked) == (True, 0)
