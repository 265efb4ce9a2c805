"""Writing and verifying the audit chain (X1). Every service that acts on a recording calls record()."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from avrecords.audit.chain import GENESIS_HASH, hash_entry
from avrecords.audit.models import AuditEntry, AuditHead


def _actor_label(actor) -> str:
    if actor is None:
        return "系统"
    name = getattr(actor, "full_name", "") or actor.get_username()
    return f"{name}({actor.get_username()})"


def _normalise(at: dt.datetime) -> dt.datetime:
    # Store and hash the same value: databases keep microseconds in UTC.
    return at.astimezone(dt.UTC)


def record(
    action: str,
    *,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    detail: dict | None = None,
    ip: str = "",
) -> AuditEntry:
    """Append one entry; runs inside the caller's transaction so the act and its entry commit together."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    detail = detail or {}
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        fields = {
            "seq": head.last_seq + 1,
            "at": _normalise(timezone.now()),
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": _actor_label(actor),
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "summary": summary[:500],
            "detail": detail,
            "ip": ip,
            "prev_hash": head.last_hash,
        }
        entry_hash = hash_entry(**fields)
        entry = AuditEntry.objects.create(entry_hash=entry_hash, **fields)
        AuditHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=entry_hash)
    return entry


@dataclass
class VerifyResult:
    """Outcome of a full chain check: entries checked and the first problem, if any."""

    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in order; report the first entry that was edited, removed or reordered."""
    head = AuditHead.objects.filter(id=1).first()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    qs = AuditEntry.objects.order_by("seq").values_list(
        "seq",
        "at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "summary",
        "detail",
        "ip",
        "prev_hash",
        "entry_hash",
    )
    for row in qs.iterator(chunk_size=batch_size):
        (seq, at, actor_id, actor_label, action, otype, oid, summary, detail, ip, prev, stored) = (
            row
        )
        if seq != expected_seq:
            return VerifyResult(checked, False, expected_seq, f"entry {expected_seq} is missing")
        if prev != expected_prev:
            return VerifyResult(
                checked, False, seq, f"entry {seq} does not link to entry {seq - 1}"
            )
        recomputed = hash_entry(
            seq=seq,
            at=_normalise(at),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=otype,
            object_id=oid,
            summary=summary,
            detail=detail,
            ip=ip,
            prev_hash=prev,
        )
        if recomputed != stored:
            return VerifyResult(checked, False, seq, f"entry {seq} was altered (hash mismatch)")
        checked += 1
        expected_prev = stored
        expected_seq = seq + 1
        last_seq = seq
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        return VerifyResult(
            checked, False, last_seq + 1, f"chain ends at {last_seq} but head says {head.last_seq}"
        )
    return VerifyResult(checked, True)
