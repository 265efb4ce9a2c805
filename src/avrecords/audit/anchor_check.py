"""`avrecords audit verify --anchors DIR`: the chain in the database against signed anchors.

Each anchor file's signature is checked with a trusted public key (the installation's, or
those given on the command line, e.g. from a printout or disc); then the chain is walked once
from the first entry and, at each anchored sequence number, the hash recomputed from the
database must be the anchored one. A rewrite that recomputed every hash (and so passes the
plain `verify_chain`) changes the hash of every later entry, so the first anchor after the
edit no longer matches: entries up to the last matching anchor are proven unchanged, the
change lies between it and the first that fails.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.audit.anchors import Anchor, read_anchors
from avrecords.audit.chain import GENESIS_HASH
from avrecords.lib import signing

log = logging.getLogger(__name__)


@dataclass
class AnchorCheck:
    """What a check found: entries walked, anchors matched, problems in Chinese (in order)."""

    entries: int = 0
    matched: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad: str = ""  # the first anchor file the database no longer matches
    last_good: Anchor | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def when(anchor: Anchor) -> str:
    return f"{timezone.localtime(anchor.anchored_at):%Y-%m-%d %H:%M}"


def trusted_anchors(anchors: list[Anchor], keys: list[signing.PublicKey], result) -> list[Anchor]:
    """The anchors whose signature a trusted key verifies; a problem for each other one."""
    trusted = []
    for anchor in anchors:
        key = next((k for k in keys if k.fingerprint == anchor.fingerprint), None)
        if key is None:
            log.warning("Anchor %s signed by an untrusted key %s", anchor.name, anchor.fingerprint)
            result.problems.append(
                f"锚定文件 {anchor.name} 由不受信任的密钥签名"
                f"（公钥指纹 {signing.grouped(anchor.fingerprint)[:19]}…），无法核验"
            )
        elif not anchor.signed_by(key):
            log.warning("Anchor %s: signature does not verify (forged or altered)", anchor.name)
            result.problems.append(f"锚定文件 {anchor.name} 签名无效：文件系伪造或已被改动")
        else:
            trusted.append(anchor)
    return trusted


def verify_anchors(directory: Path, keys: list[signing.PublicKey]) -> AnchorCheck:
    result = AnchorCheck()
    anchors, unreadable = read_anchors(directory)
    result.problems += unreadable
    if not anchors and not unreadable:
        result.problems.append(f"目录 {directory} 中没有锚定文件，无法证明审计日志未被改写")
        return result
    pending = deque(trusted_anchors(anchors, keys, result))
    last_seq, last_hash = 0, GENESIS_HASH
    try:
        while pending and pending[0].seq == 0:
            _compare(result, pending.popleft(), GENESIS_HASH)
        for last_seq, last_hash in audit.walk():
            result.entries += 1
            while pending and pending[0].seq == last_seq and not result.first_bad:
                _compare(result, pending.popleft(), last_hash)
            if result.first_bad:
                return result
    except audit.ChainBroken as exc:
        log.error("Audit chain broken at entry %d: %s", exc.seq, exc.problem)
        result.problems.append(
            f"审计链在第 {exc.seq} 条记录处断开或被改动（此前 {result.entries} 条完好）"
        )
        return result
    if pending:
        anchor = pending[0]
        log.error(
            "Anchor %s names entry %d but the chain ends at %d", anchor.name, anchor.seq, last_seq
        )
        result.first_bad = anchor.name
        result.problems.append(
            f"锚定文件 {anchor.name}（{when(anchor)} 锚定至第 {anchor.seq} 条）与数据库不符："
            f"数据库中的审计日志只到第 {last_seq} 条，其后的记录已被删除"
        )
        return result
    if problem := audit.head_problem(last_seq, last_hash):
        log.error("Audit chain head mismatch: %s", problem)
        result.problems.append(f"审计链到第 {last_seq} 条结束，与链头记录不符，末尾可能被删除")
    return result


def _compare(result: AnchorCheck, anchor: Anchor, actual_hash: str) -> None:
    if actual_hash == anchor.head_hash:
        result.matched += 1
        result.last_good = anchor
        return
    since = result.last_good.seq + 1 if result.last_good else 1
    log.error(
        "Anchor %s: entry %d hashes to %s in the database, anchored %s; changed in %d..%d",
        anchor.name,
        anchor.seq,
        actual_hash,
        anchor.head_hash,
        since,
        anchor.seq,
    )
    result.first_bad = anchor.name
    result.problems.append(
        f"锚定文件 {anchor.name}（{when(anchor)} 锚定至第 {anchor.seq} 条）与数据库不符："
        f"第 {since} 至第 {anchor.seq} 条之间的记录在锚定后被改写"
    )
