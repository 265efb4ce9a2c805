"""Hashing of audit entries: what exactly is covered by each entry's hash."""

import hashlib
import json

GENESIS_HASH = "0" * 64


def entry_payload(
    *,
    seq,
    at,
    actor_id,
    actor_label,
    action,
    object_type,
    object_id,
    summary,
    detail,
    ip,
    prev_hash,
) -> bytes:
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "detail": detail,
        "ip": ip,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def hash_entry(**fields) -> str:
    return hashlib.sha256(entry_payload(**fields)).hexdigest()
