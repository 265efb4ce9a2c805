"""X1: the audit log is append-only and hash-chained; `avrecords audit verify` finds tampering."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from avrecords.audit import services as audit
from avrecords.audit import triggers
from avrecords.audit.models import AppendOnlyError, AuditEntry


def _drop_triggers():
    """What someone with direct database access would do before tampering."""
    triggers.remove(connection)


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
    return list(AuditEntry.objects.order_by("seq"))[-5:]


def _verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_untouched_chain_verifies(chain):
    assert f"共校验 {AuditEntry.objects.count()} 条记录" in _verify()


def test_each_entry_links_to_the_one_before(chain):
    for prev, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == prev.entry_hash
        assert entry.seq == prev.seq + 1


def test_the_orm_refuses_to_change_or_delete_entries(chain):
    entry = chain[1]
    entry.summary = "篡改"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_database_refuses_bulk_updates_and_deletes(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=chain[1].seq).update(summary="篡改")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=chain[1].seq).delete()
    assert AuditEntry.objects.get(seq=chain[1].seq).summary == "查看 第1号"


def test_verify_catches_an_edited_entry(chain):
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["别人", chain[2].seq]
        )
    with pytest.raises(CommandError, match=f"第 {chain[2].seq} 条记录异常") as exc:
        _verify()
    assert "altered" in str(exc.value)


def test_verify_catches_an_edited_detail(chain):
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET detail = %s WHERE seq = %s", ['{"i": 99}', chain[3].seq]
        )
    with pytest.raises(CommandError, match=f"第 {chain[3].seq} 条记录异常"):
        _verify()


def test_verify_catches_a_deleted_entry(chain):
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq = %s", [chain[1].seq])
    with pytest.raises(CommandError, match=f"第 {chain[1].seq} 条记录异常") as exc:
        _verify()
    assert "missing" in str(exc.value)


def test_verify_catches_the_last_entry_removed(chain):
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq = %s", [chain[-1].seq])
    with pytest.raises(CommandError, match=f"第 {chain[-1].seq} 条记录异常"):
        _verify()


def test_verify_catches_a_rehashed_edit_that_breaks_the_link(chain):
    """Rewriting one entry and its own hash still breaks the next entry's link."""
    from avrecords.audit.chain import hash_entry
    from avrecords.audit.services import _normalise

    _drop_triggers()
    e = chain[1]
    fields = dict(
        seq=e.seq,
        at=_normalise(e.at),
        actor_id=e.actor_id,
        actor_label=e.actor_label,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        summary="篡改",
        detail=e.detail,
        ip=e.ip,
        prev_hash=e.prev_hash,
    )
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditentry SET summary = %s, entry_hash = %s WHERE seq = %s",
            ["篡改", hash_entry(**fields), e.seq],
        )
    with pytest.raises(CommandError, match=f"第 {e.seq + 1} 条记录异常"):
        _verify()


def test_chinese_text_round_trips_through_the_hash(org):
    audit.record(
        "recording.view",
        actor=org.officer,
        summary="查看 现场检查_张三食品店.mp4",
        detail={"当事人": "张三食品店", "地点": "桐柏县城关镇"},
    )
    assert f"共校验 {AuditEntry.objects.count()} 条记录" in _verify()
    assert AuditEntry.objects.order_by("-seq").first().detail["当事人"] == "张三食品店"
