"""Signed anchors of the audit chain, kept outside the database (X1; issue 15 row 10).

An anchor says "on <time> the chain's entry <seq> had hash <head_hash>", signed with the
installation's key (`lib/signing.py`: Ed25519, or SM2 with SM3). It is one JSON file in
AVRECORDS_AUDIT_ANCHOR_DIR, named `anchor-<seq, 9 digits>-<local YYYYMMDD-HHMMSS>.json`,
0600, written once: a file of that name is never replaced. Someone who can rewrite the
database can recompute every hash, but not the anchors already printed, burned or copied
away, nor sign new ones without the private key: `anchor_check.verify_anchors` then shows
that an entry before an anchor was changed.

Anchors are made by the daily job (`jobs/audit_anchor.py`), by `avrecords audit anchor`, and for
every evidence package at the time it is built. Before signing, the entries since the
latest earlier anchor are checked to follow from it, so an anchor never vouches for a
chain already rewritten behind the previous one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.audit.chain import GENESIS_HASH
from avrecords.audit.models import AuditEntry
from avrecords.lib import signing

log = logging.getLogger(__name__)

FORMAT = "avrecords-audit-anchor/1"
NAME_RE = re.compile(r"^anchor-(\d+)-(\d{8}-\d{6})\.json$")
BODY_FIELDS = (
    "format",
    "seq",
    "head_hash",
    "head_at",
    "anchored_at",
    "purpose",
    "host",
    "algorithm",
    "key_fingerprint",
)


class AnchorRefused(Exception):
    """No anchor could be made (no key, a chain that left its last anchor, a clash);
    the message is Chinese, for the person or log that sees it."""


class AnchorUnreadable(ValueError):
    """An anchor file that is not one: bad JSON, missing fields; Chinese message."""


@dataclass(frozen=True)
class Anchor:
    """One signed anchor as stored in its file."""

    body: dict
    signature: bytes
    name: str = ""

    @property
    def seq(self) -> int:
        return self.body["seq"]

    @property
    def head_hash(self) -> str:
        return self.body["head_hash"]

    @property
    def anchored_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.body["anchored_at"])

    @property
    def purpose(self) -> str:
        return self.body.get("purpose", "")

    @property
    def fingerprint(self) -> str:
        return self.body["key_fingerprint"]

    @property
    def algorithm(self) -> str:
        return self.body["algorithm"]

    def message(self) -> bytes:
        """The bytes signed: the body as canonical JSON (sorted keys, compact, UTF-8)."""
        return canonical(self.body)

    def to_json(self) -> bytes:
        document = {**self.body, "signature": self.signature.hex()}
        return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    def signed_by(self, key: signing.PublicKey) -> bool:
        return (
            key.algorithm == self.algorithm
            and key.fingerprint == self.fingerprint
            and key.verify(self.message(), self.signature)
        )


def canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def parse(data: bytes, name: str = "") -> Anchor:
    try:
        document = json.loads(data.decode("utf-8"))
        signature = bytes.fromhex(document.pop("signature"))
    except (UnicodeDecodeError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise AnchorUnreadable(f"锚定文件 {name} 不是有效的锚定记录（无法解析或缺少签名）") from exc
    missing = [field for field in BODY_FIELDS if field not in document]
    if missing or document.get("format") != FORMAT:
        raise AnchorUnreadable(
            f"锚定文件 {name} 格式不符（缺少 {', '.join(missing) or '格式标识'}）"
        )
    if not isinstance(document["seq"], int) or document["seq"] < 0:
        raise AnchorUnreadable(f"锚定文件 {name} 的序号无效")
    try:
        dt.datetime.fromisoformat(document["anchored_at"])
    except (TypeError, ValueError) as exc:
        raise AnchorUnreadable(f"锚定文件 {name} 的锚定时间无效") from exc
    return Anchor(document, signature, name)


def read_anchors(directory: Path) -> tuple[list[Anchor], list[str]]:
    """The anchor files in `directory`, by sequence number then time; and a Chinese problem
    for each file named like an anchor that cannot be read as one."""
    anchors, problems = [], []
    directory = Path(directory)
    if not directory.is_dir():
        return [], []
    for path in sorted(directory.iterdir()):
        if not NAME_RE.match(path.name):
            continue
        try:
            anchors.append(parse(path.read_bytes(), path.name))
        except (OSError, AnchorUnreadable) as exc:
            log.warning("Anchor file %s unreadable: %s", path, exc)
            problems.append(
                str(exc) if isinstance(exc, AnchorUnreadable) else f"锚定文件 {path.name} 无法读取"
            )
    anchors.sort(key=lambda a: (a.seq, a.body["anchored_at"], a.name))
    return anchors, problems


# ---- the installation's key ---------------------------------------------------------------


def installation_signer() -> signing.Signer:
    try:
        return signing.load_signer(settings.AVRECORDS_AUDIT_KEY_PATH)
    except signing.KeyProblem as exc:
        log.error("Audit signing key unusable at %s: %r", settings.AVRECORDS_AUDIT_KEY_PATH, exc)
        raise AnchorRefused(str(exc)) from exc


def installation_public_key() -> signing.PublicKey | None:
    """The public key to show and to verify with; None before `avrecords init` made one."""
    path = Path(settings.AVRECORDS_AUDIT_KEY_PATH)
    try:
        return signing.public_key_from_pem(signing.public_path(path).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, signing.KeyProblem):
        pass
    try:
        return signing.load_signer(path).public
    except signing.KeyProblem:
        return None


def ensure_key() -> tuple[signing.Signer, bool]:
    """The installation's signer, made now (AVRECORDS_AUDIT_KEY_ALGORITHM) if there is none;
    (signer, True when made). An existing key is kept whatever the setting says."""
    path = Path(settings.AVRECORDS_AUDIT_KEY_PATH)
    if path.exists():
        if path.stat().st_mode & 0o077:
            log.warning("Audit signing key %s was readable by others; now 0600", path)
            path.chmod(0o600)
        return installation_signer(), False
    try:
        signer = signing.create_key(path, settings.AVRECORDS_AUDIT_KEY_ALGORITHM)
    except FileExistsError:  # another process made it a moment ago
        return installation_signer(), False
    log.info(
        "Audit signing key created at %s (%s, fingerprint %s)",
        path,
        signer.algorithm,
        signer.public.fingerprint,
    )
    return signer, True


# ---- making one ---------------------------------------------------------------------------


def make_anchor(purpose: str, *, directory: Path | None = None) -> Anchor:
    """Sign the chain's current head and write the anchor file; AnchorRefused (Chinese)
    if there is no key, the chain no longer follows from the latest anchor, or the file
    cannot be written. Records `audit.anchor` in the chain once the file is on disk."""
    directory = Path(directory or settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    signer = installation_signer()
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash", "at").first()
    seq, head_hash, head_at = head or (0, GENESIS_HASH, None)
    _check_follows_last_anchor(directory, signer.public, seq, head_hash)
    now = timezone.now()
    body = {
        "format": FORMAT,
        "seq": seq,
        "head_hash": head_hash,
        "head_at": head_at.astimezone(dt.UTC).isoformat() if head_at else "",
        "anchored_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "purpose": purpose,
        "host": socket.gethostname(),
        "algorithm": signer.algorithm,
        "key_fingerprint": signer.public.fingerprint,
    }
    name = f"anchor-{seq:09d}-{timezone.localtime(now):%Y%m%d-%H%M%S}.json"
    anchor = Anchor(body, signer.sign(canonical(body)), name)
    write_once(directory / name, anchor.to_json())
    log.info("Audit chain anchored at entry %d (%s) in %s", seq, head_hash, directory / name)
    audit.record(
        "audit.anchor",
        object_type="audit.anchor",
        object_id=seq,
        summary=f"审计链锚定至第 {seq} 条（{purpose}）",
        detail={"file": name, "head_hash": head_hash, "key_fingerprint": signer.public.fingerprint},
    )
    return anchor


def _check_follows_last_anchor(directory, key, seq: int, head_hash: str) -> None:
    """The entries since the latest anchor we signed link to its head and hash right."""
    anchors, _ = read_anchors(directory)
    last = next((a for a in reversed(anchors) if a.signed_by(key)), None)
    # With no anchor of ours yet, the whole chain up to the head is checked.
    after_seq, after_hash = (last.seq, last.head_hash) if last else (0, GENESIS_HASH)
    problem = ""
    if after_seq > seq:
        problem = f"chain ends at entry {seq}, before anchor {last.name} (entry {after_seq})"
    elif after_seq == seq and after_hash != head_hash:
        problem = f"entry {seq} no longer has the hash anchored in {last.name}"
    else:
        try:
            for _ in audit.walk(after_seq=after_seq, after_hash=after_hash, upto=seq):
                pass
        except audit.ChainBroken as exc:
            problem = exc.problem + (f" (since anchor {last.name})" if last else "")
    if problem:
        log.error("Audit anchor refused: %s", problem)
        since = f"与上一次锚定（{last.name}）" if last else "自第 1 条起"
        raise AnchorRefused(
            f"审计日志{since}不连贯，已拒绝锚定；"
            "请系统管理员运行 avrecords audit verify --anchors 检查是否被篡改"
        )


def write_once(path: Path, data: bytes) -> Path:
    """Write `path` (0600, directory 0700) unless a file of that name exists; never replace it.

    The bytes go to a hidden temporary file first and are hard-linked into place, which fails
    if the name is taken: a reader never sees half an anchor, and no anchor is overwritten."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".anchor-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError as exc:
            log.error("Anchor file %s exists already; not replaced", path)
            raise AnchorRefused(f"锚定文件 {path.name} 已存在，不会覆盖") from exc
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path
