"""Purge on the S3 store (M5): the one guarded path that deletes a locked original.

A purge names the version recorded at ingest. It heads that version and refuses
(PurgeRefused, nothing deleted) unless its COMPLIANCE retain-until date has passed and no
legal hold is on; the server then checks the same lock again when it gets the delete and
answers AccessDenied if it disagrees (clock skew, a lock set meanwhile), which is also
PurgeRefused. Deletes name the VersionId, so they remove that version for good (no delete
marker), and the version is headed afterwards to prove it is gone.

A large original is two objects: its bytes at ``objects/<uuid>`` and a locked zero-byte
pointer at its content address (``s3.py``). Both are checked before anything is deleted,
then the bytes go first and the pointer second. A crash in between leaves a pointer naming
a missing object, which ``find_locked`` ignores (the next put of those bytes stores them
afresh); calling purge again deletes that pointer and raises FileNotFoundError, the
answer for "already gone". The pointer is found from the original's SHA-256: pass
``sha256`` (recorded at ingest); without it the bytes are read once to compute it.

Deletes may use their own key (AVRECORDS_S3_PURGE_ACCESS_KEY / …_SECRET_KEY): the everyday
key then needs no delete right at all. Heads and lookups use the everyday key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from avrecords.lib.hashing import PipelinedHasher, copy_hashing
from avrecords.lib.storage.base import (
    AREAS,
    SHA256_RE,
    PurgeRefused,
    StoreError,
    check_purge,
    object_key,
)
from avrecords.lib.storage.s3_io import error_code
from avrecords.lib.storage.s3_put import LOCK_MODE, META_TARGET, META_TARGET_VERSION, UPLOAD_PREFIX

if TYPE_CHECKING:
    from avrecords.lib.storage.s3 import S3Store

log = logging.getLogger(__name__)

REFUSAL_CODES = {"AccessDenied", "InvalidRequest", "403"}
BAD_KEY_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch"}

# (key, version, head) of one object version
Victim = tuple[str, str, dict]


def purge(store: S3Store, key: str, version: str, now: dt.datetime | None, sha256: str) -> None:
    if not version:
        raise ValueError(f"purge of {key}: name the version recorded at ingest")
    if sha256 and not SHA256_RE.match(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    large = key.startswith(UPLOAD_PREFIX)
    if not large:
        area, sha = key.partition("/")[0], key.rsplit("/", 1)[-1]
        if key != object_key(area, sha):
            raise ValueError(f"not a key of this store: {key!r}")
        if sha256 and sha != sha256:
            raise ValueError(f"{key} does not hold sha256 {sha256}")
    try:
        head = store._head(key, version)
    except FileNotFoundError:
        if large and sha256:
            _finish_pointers(store, key, version, sha256, now)
        elif large:
            log.warning(
                "%s@%s gone; without its sha256 no pointer to it is looked for", key, version
            )
        raise
    meta = head.get("Metadata", {})
    if meta.get(META_TARGET):  # the content pointer of a large original was named
        target = meta[META_TARGET], meta.get(META_TARGET_VERSION, "")
        try:
            victims = [(*target, store._head(*target)), (key, version, head)]
        except FileNotFoundError:
            _check(key, version, head, now)
            _delete(store, key, version)
            raise FileNotFoundError(f"{target[0]}@{target[1]} already gone") from None
    elif large:
        if not sha256:
            _check(key, version, head, now)  # refuse before reading gigabytes for nothing
            log.info(
                "purge of %s@%s: no sha256 given, hashing it to find its pointer", key, version
            )
            sha256 = _digest(store, key, version)
        victims = [(key, version, head), *_pointers_to(store, key, version, sha256)]
    else:
        victims = [(key, version, head)]
    for victim in victims:  # all or nothing: every lock is checked before any delete
        _check(*victim, now)
    first, *pointers = victims
    _delete(store, first[0], first[1])
    for address, pointer_version, _head in pointers:
        try:
            _delete(store, address, pointer_version)
        except StoreError as exc:
            raise StoreError(
                f"{first[0]}@{first[1]} purged, but its content pointer "
                f"{address}@{pointer_version} was not deleted ({exc}); purge again to finish"
            ) from exc
    log.info("purged %s@%s (and %d content pointer(s))", first[0], first[1], len(pointers))


def _check(key: str, version: str, head: dict, now: dt.datetime | None) -> None:
    locked = head.get("ObjectLockMode") == LOCK_MODE
    until = head.get("ObjectLockRetainUntilDate") if locked else None
    hold = head.get("ObjectLockLegalHoldStatus") == "ON"
    check_purge(key, version, until, hold, now)


def _digest(store: S3Store, key: str, version: str) -> str:
    hasher = PipelinedHasher()
    try:
        with store.open(key, version=version) as src:
            copy_hashing(src, lambda _view: None, hasher, chunk_bytes=store.chunk_bytes)
        return hasher.hexdigest()
    finally:
        hasher.close()


def _pointers_to(store: S3Store, key: str, version: str, sha: str) -> Iterator[Victim]:
    """Every pointer version, at the content address in either area, naming key@version."""
    for area in AREAS:
        address = object_key(area, sha)
        try:
            entries = [v for v in store._versions(address) if v["Key"] == address]
        except ClientError as exc:
            raise StoreError(f"list versions of {address}: {error_code(exc)}") from exc
        for entry in entries:
            if entry.get("Size", 0) != 0:  # pointers are zero-byte objects
                continue
            try:
                head = store._head(address, entry["VersionId"])
            except FileNotFoundError:
                continue
            meta = head.get("Metadata", {})
            if (meta.get(META_TARGET), meta.get(META_TARGET_VERSION)) == (key, version):
                yield address, entry["VersionId"], head


def _finish_pointers(
    store: S3Store, key: str, version: str, sha: str, now: dt.datetime | None
) -> None:
    """The bytes are gone: delete what still points at them (a purge cut short)."""
    for address, pointer_version, head in list(_pointers_to(store, key, version, sha)):
        try:
            _check(address, pointer_version, head, now)
        except PurgeRefused as exc:
            log.warning("pointer to purged %s@%s stays: %s", key, version, exc)
            continue
        _delete(store, address, pointer_version)
        log.info("deleted pointer %s@%s left by an interrupted purge", address, pointer_version)


def _delete(store: S3Store, key: str, version: str) -> None:
    what = f"purge {key}@{version}"
    try:
        store.retrier.call(
            what, store.purge_client.delete_object, Bucket=store.bucket, Key=key, VersionId=version
        )
    except ClientError as exc:
        code = error_code(exc)
        if code in BAD_KEY_CODES:
            raise StoreError(
                f"{what}: S3 refused the purge credentials ({code}): check "
                "AVRECORDS_S3_PURGE_ACCESS_KEY / AVRECORDS_S3_PURGE_SECRET_KEY"
            ) from exc
        if code in REFUSAL_CODES:
            raise PurgeRefused(
                f"{what}: refused by the S3 server ({code}): still locked there, "
                "or the purge key may not delete object versions",
                "S3 存储拒绝删除该对象（对象锁定未到期，或清除密钥无删除权限），拒绝清除",
                reason=PurgeRefused.BY_STORE,
                key=key,
                version=version,
            ) from exc
        raise StoreError(f"{what}: {code}: {exc}") from exc
    try:
        store._head(key, version)
    except FileNotFoundError:
        return
    raise StoreError(f"{what}: S3 accepted the delete but still serves the version")
