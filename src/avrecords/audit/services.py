"""Writing and verifying the audit chain (X1). Every service that acts on a recording calls record()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from avrecords.audit.chain import GENESIS_HASH, hash_entry
from avrecords.audit.models import AuditEntry, AuditHead


def _actor_label(actor, label: str = "") -> str:
    if actor is None:
        return label or "系统"
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
    actor_label: str = "",
) -> AuditEntry:
    """Append one entry; runs inside the caller's transaction so the act and its entry commit together.

    `actor_label` names an actor that is no person when `actor` is None: a collection station
    acting with its own token is "采集站：<名称>" (issue 19 §1); otherwise "系统"."""
    if obj is not None:
        # a model that moved between apps names its old label (`audit_type`): entries already
        # in the chain cannot be rewritten, so one object keeps one name in it
        object_type = object_type or getattr(obj, "audit_type", "") or obj._meta.label_lower
        object_id = object_id or obj.pk
    detail = detail or {}
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        fields = {
            "seq": head.last_seq + 1,
            "at": _normalise(timezone.now()),
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": _actor_label(actor, actor_label),
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


class ChainBroken(Exception):
    """The chain walked by `walk()` is broken at `seq` (English `problem`, for the log)."""

    def __init__(self, seq: int, problem: str) -> None:
        super().__init__(problem)
        self.seq, self.problem = seq, problem


def walk(
    *,
    after_seq: int = 0,
    after_hash: str = GENESIS_HASH,
    upto: int | None = None,
    batch_size: int = 2000,
) -> Iterator[tuple[int, str]]:
    """(seq, entry_hash) of each entry after `after_seq` (up to `upto`), in order, each checked
    to follow the one before (from `after_hash`) and to hash to what it stores; ChainBroken
    at the first entry that was edited, removed or reordered."""
    expected_prev = after_hash
    expected_seq = after_seq + 1
    qs = AuditEntry.objects.filter(seq__gt=after_seq)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    rows = qs.order_by("seq").values_list(
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
    for row in rows.iterator(chunk_size=batch_size):
        (seq, at, actor_id, actor_label, action, otype, oid, summary, detail, ip, prev, stored) = (
            row
        )
        if seq != expected_seq:
            raise ChainBroken(expected_seq, f"entry {expected_seq} is missing")
        if prev != expected_prev:
            raise ChainBroken(seq, f"entry {seq} does not link to entry {seq - 1}")
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
            raise ChainBroken(seq, f"entry {seq} was altered (hash mismatch)")
        yield seq, stored
        expected_prev = stored
        expected_seq = seq + 1


def head_problem(last_seq: int, last_hash: str) -> str:
    """Why the chain's end (as walked) is not where AuditHead says; "" when it is."""
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != last_hash):
        return f"chain ends at {last_seq} but head says {head.last_seq}"
    return ""


def verify_chain(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in order; report the first entry that was edited, removed or reordered."""
    checked, last_seq, last_hash = 0, 0, GENESIS_HASH
    try:
        for seq, entry_hash in walk(batch_size=batch_size):
            checked, last_seq, last_hash = checked + 1, seq, entry_hash
    except ChainBroken as exc:
        return VerifyResult(checked, False, exc.seq, exc.problem)
    if problem := head_problem(last_seq, last_hash):
        return VerifyResult(checked, False, last_seq + 1, problem)
    return VerifyResult(checked, True)
