"""S3 store of originals with Object Lock in COMPLIANCE mode (M2), for any S3-compatible service.

One bucket, created with Object Lock enabled (hence versioned):

    originals/ab/cd/<sha256>   content address: a committed original that fitted in one part,
                               or a zero-byte pointer to the large one holding those bytes
    quarantine/ab/cd/<sha256>  the same for quarantined files
    objects/<uuid>             large files, one multipart upload each

Every object is COMPLIANCE-locked from the moment it exists. Write path, one pass:

- Bytes are hashed (SHA-256) as they are read; up to one part (``part_bytes``) is held in memory.
- A file that fits in one part is sent at commit as one PUT to its content address, with the
  lock, its retain-until date and its SHA-256 checksum, which the server checks.
- A larger file streams as a multipart upload to ``objects/<uuid>``, created with the lock,
  parts sent in parallel, each with its own SHA-256 checksum (checked by the server). The
  content address is known only at the end and S3 has no rename, so the object keeps its
  upload key. Commit first looks for the content already stored (then the upload is aborted
  unfinished and no object ever exists); else it completes the upload, compares the server's
  checksum of the whole upload with the one of the parts sent, and writes a locked zero-byte
  pointer at the content address naming the object and version, so the next copy of the same
  bytes finds it. No byte is sent twice, no object is copied, nothing is ever unlocked.

Every read names the VersionId recorded at ingest (``Recording.storage_version``): a later PUT
to the same key (a new version) or a delete marker never changes what is read, and no locked
version can be deleted or shortened by anyone, this product included. Once its date has
passed, ``purge`` (``s3_locks.py``) is the one path that deletes an original (M5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from avrecords.lib.hashing import DEFAULT_CHUNK_BYTES, PipelinedHasher, copy_hashing
from avrecords.lib.storage import s3_locks
from avrecords.lib.storage.base import (
    AREAS,
    SHA256_RE,
    ObjectStat,
    OriginalStore,
    PendingPut,
    RetentionError,
    StoreError,
    StoreIntegrityError,
    StoreNotReady,
    StoreUnavailableError,
    aware,
    check_future,
    object_key,
)
from avrecords.lib.storage.s3_io import Retrier, S3Reader, error_code, is_missing, make_client
from avrecords.lib.storage.s3_put import (
    LOCK_MODE,
    META_SHA256,
    META_TARGET,
    META_TARGET_CHECKSUM,
    META_TARGET_VERSION,
    UPLOAD_PREFIX,
    S3PendingPut,
    b64,
)

log = logging.getLogger(__name__)

READ_BUFFER_BYTES = 256 * 1024
CREDENTIAL_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class S3Store(OriginalStore):
    """Originals in one Object Lock bucket, each locked (COMPLIANCE) from the moment it exists."""

    locks_objects = True
    guards_purge = True

    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str = "",
        region: str = "us-east-1",
        access_key: str = "",
        secret_key: str = "",
        retain_days: int = 730,
        part_bytes: int = 16 * 1024**2,
        upload_threads: int = 4,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: int = 120,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        purge_access_key: str = "",
        purge_secret_key: str = "",
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self.retain_days = retain_days
        self.part_bytes = part_bytes
        self.upload_threads = upload_threads
        self.chunk_bytes = chunk_bytes
        self.retrier = Retrier(attempts, backoff_seconds)
        self.client = make_client(
            endpoint=endpoint,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
            timeout_seconds=timeout_seconds,
            pool_size=max(10, upload_threads * 2 + 8),
        )
        if bool(purge_access_key) != bool(purge_secret_key):
            raise ValueError("purge access key and secret key go together (or neither)")
        # Used for purge deletes only; without a key of its own, the everyday one.
        self.purge_client = self.client
        if purge_access_key:
            self.purge_client = make_client(
                endpoint=endpoint,
                region=region,
                access_key=purge_access_key,
                secret_key=purge_secret_key,
                timeout_seconds=timeout_seconds,
                pool_size=2,
            )

    @classmethod
    def from_settings(cls, settings) -> S3Store:
        return cls(
            bucket=settings.AVRECORDS_S3_BUCKET,
            endpoint=settings.AVRECORDS_S3_ENDPOINT,
            region=settings.AVRECORDS_S3_REGION,
            access_key=settings.AVRECORDS_S3_ACCESS_KEY,
            secret_key=settings.AVRECORDS_S3_SECRET_KEY,
            retain_days=settings.AVRECORDS_S3_RETAIN_DAYS,
            part_bytes=settings.AVRECORDS_S3_PART_BYTES,
            upload_threads=settings.AVRECORDS_S3_UPLOAD_THREADS,
            attempts=settings.AVRECORDS_S3_ATTEMPTS,
            backoff_seconds=settings.AVRECORDS_S3_BACKOFF_MS / 1000,
            timeout_seconds=settings.AVRECORDS_S3_TIMEOUT_SECONDS,
            chunk_bytes=settings.AVRECORDS_COPY_CHUNK_BYTES,
            purge_access_key=settings.AVRECORDS_S3_PURGE_ACCESS_KEY,
            purge_secret_key=settings.AVRECORDS_S3_PURGE_SECRET_KEY,
        )

    # --- requests ----------------------------------------------------------------------
    def _raw(self, what: str, operation: str, **kwargs):
        """One request, retried while the store is unreachable; ClientError passes through."""
        return self.retrier.call(
            what, getattr(self.client, operation), Bucket=self.bucket, **kwargs
        )

    def _request(self, what: str, operation: str, **kwargs):
        try:
            return self._raw(what, operation, **kwargs)
        except ClientError as exc:
            if is_missing(exc):
                raise FileNotFoundError(f"{what}: {error_code(exc)}") from exc
            raise StoreError(f"{what}: {error_code(exc)}: {exc}") from exc

    def _best_effort(self, what: str, operation: str, **kwargs) -> None:
        """Housekeeping that may fail (store down): one try; leftovers go at the next cleanup."""
        try:
            getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            log.warning("%s failed (%s); left for cleanup_incomplete", what, error_code(exc))

    def _head(self, key: str, version: str) -> dict:
        return self._request(
            f"HEAD {key}?versionId={version}",
            "head_object",
            Key=key,
            VersionId=version,
            ChecksumMode="ENABLED",
        )

    # --- start-up check -------------------------------------------------------------------
    def verify_ready(self) -> None:
        """Refuse to run on wrong credentials, a missing bucket or one without Object Lock."""
        bucket = self.bucket
        no_lock = (
            f"S3 存储桶 {bucket} 未启用对象锁定（Object Lock），拒绝启动："
            "原始文件必须以合规模式锁定，请使用创建时即启用对象锁定的存储桶"
        )
        try:
            config = self._raw("check bucket", "get_object_lock_configuration")
        except StoreUnavailableError as exc:
            raise StoreNotReady(
                str(exc),
                f"无法连接 S3 存储服务（{self.endpoint or '默认地址'}），拒绝启动；"
                "请检查 AVRECORDS_S3_ENDPOINT 与网络",
                returncode=3,
            ) from exc
        except ClientError as exc:
            code = error_code(exc)
            if code == "ObjectLockConfigurationNotFoundError":
                raise StoreNotReady(f"bucket {bucket} has no Object Lock", no_lock) from exc
            if code == "NoSuchBucket":
                raise StoreNotReady(
                    f"bucket {bucket} does not exist", f"S3 存储桶 {bucket} 不存在，拒绝启动"
                ) from exc
            if code in CREDENTIAL_CODES:
                raise StoreNotReady(
                    f"S3 refused the credentials for bucket {bucket}: {code}",
                    "S3 存储拒绝了访问密钥（AVRECORDS_S3_ACCESS_KEY / AVRECORDS_S3_SECRET_KEY）"
                    "或其权限不足，拒绝启动",
                ) from exc
            raise StoreNotReady(
                f"bucket {bucket} unusable: {code}: {exc}",
                f"S3 存储桶 {bucket} 无法使用（{code}），拒绝启动",
            ) from exc
        except BotoCoreError as exc:  # no credentials at all, malformed endpoint, …
            raise StoreNotReady(
                f"S3 client error: {exc}", f"S3 存储配置错误（{type(exc).__name__}），拒绝启动"
            ) from exc
        lock = config.get("ObjectLockConfiguration", {})
        if lock.get("ObjectLockEnabled") != "Enabled":
            raise StoreNotReady(f"bucket {bucket} has Object Lock disabled", no_lock)
        # A default retention rule on the bucket changes nothing: every write names its lock.

    # --- writing ------------------------------------------------------------------------
    def default_retain_until(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=self.retain_days)

    def begin_put(self) -> S3PendingPut:
        return S3PendingPut(self)

    def copy_into(self, src: BinaryIO, pending: PendingPut, *, progress=None) -> None:
        assert isinstance(pending, S3PendingPut)
        pending.copy_from(src, self.chunk_bytes, progress)

    def _put_small(self, key: str, body: bytearray, sha: str, until: dt.datetime) -> str:
        response = self._request(
            f"PUT {key}",
            "put_object",
            Key=key,
            Body=body,
            ChecksumSHA256=b64(bytes.fromhex(sha)),
            ObjectLockMode=LOCK_MODE,
            ObjectLockRetainUntilDate=until,
            Metadata={META_SHA256: sha},
        )
        return self._version_of(response, key)

    def _put_pointer(
        self, address: str, sha: str, size: int, key: str, version: str, checksum: str, until
    ) -> None:
        """A locked zero-byte object at the content address naming where the bytes are."""
        response = self._request(
            f"PUT pointer {address}",
            "put_object",
            Key=address,
            Body=b"",
            ObjectLockMode=LOCK_MODE,
            ObjectLockRetainUntilDate=until,
            Metadata={
                META_SHA256: sha,
                "size": str(size),
                META_TARGET: key,
                META_TARGET_VERSION: version,
                META_TARGET_CHECKSUM: checksum,
            },
        )
        self._version_of(response, address)

    def _version_of(self, response: dict, key: str) -> str:
        version = response.get("VersionId") or ""
        if not version:
            raise StoreError(
                f"S3 returned no VersionId for {key}: bucket {self.bucket} unversioned"
            )
        return version

    def _confirm_locked(self, key: str, version: str, until: dt.datetime) -> None:
        """Never report a commit the server has not locked; lock it if the write did not."""
        head = self._head(key, version)
        held = head.get("ObjectLockRetainUntilDate") or _EPOCH
        if head.get("ObjectLockMode") == LOCK_MODE and held >= until - dt.timedelta(seconds=1):
            return
        log.warning("S3 did not lock %s@%s on write; locking it now", key, version)
        self._request(
            f"lock {key}",
            "put_object_retention",
            Key=key,
            VersionId=version,
            Retention={"Mode": LOCK_MODE, "RetainUntilDate": until},
        )
        if self._head(key, version).get("ObjectLockMode") != LOCK_MODE:
            raise StoreError(f"S3 refused to lock {key}@{version}")

    # --- finding committed versions -----------------------------------------------------
    def _versions(self, prefix: str) -> Iterator[dict]:
        paginator = self.client.get_paginator("list_object_versions")
        pages = self.retrier.call(
            f"list versions {prefix}",
            lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)),
        )
        for page in pages:
            yield from page.get("Versions", [])

    def _locked_versions(self, key: str) -> Iterator[tuple[str, dict]]:
        """(version id, head) of every COMPLIANCE-locked version of key, oldest first."""
        try:
            versions = [v for v in self._versions(key) if v["Key"] == key]
        except ClientError as exc:
            raise StoreError(f"list versions of {key}: {error_code(exc)}") from exc
        for entry in sorted(versions, key=lambda v: v["LastModified"]):
            try:
                head = self._head(key, entry["VersionId"])
            except FileNotFoundError:
                continue
            if head.get("ObjectLockMode") == LOCK_MODE:
                yield entry["VersionId"], head

    def _pinned(self, key: str, version: str) -> str:
        """The version to read: the recorded one, else the oldest locked one (never the latest)."""
        if version:
            return version
        for found, _head in self._locked_versions(key):
            return found
        raise FileNotFoundError(f"no locked version of {key}")

    def find_locked(
        self, address: str, sha: str, size: int
    ) -> tuple[str, str, dt.datetime | None] | None:
        """The locked object holding exactly these bytes: (key, version, retain-until).

        Either a version at the content address itself (small files) or the object its
        pointer names (large ones), whose size and server checksum must match the pointer."""
        digest = bytes.fromhex(sha)
        proofs = {b64(digest), b64(hashlib.sha256(digest).digest()) + "-1"}
        for version, head in self._locked_versions(address):
            meta = head.get("Metadata", {})
            if meta.get(META_SHA256) != sha:
                continue
            if meta.get(META_TARGET):
                found = self._pointed(meta, size)
                if found is not None:
                    return found
                continue
            if head.get("ContentLength") != size:
                continue
            # The server's own checksum proves the content; without one, re-read it.
            if head.get("ChecksumSHA256") in proofs or self.verify(address, sha, version=version):
                return address, version, head.get("ObjectLockRetainUntilDate")
        return None

    def _pointed(self, meta: dict, size: int) -> tuple[str, str, dt.datetime | None] | None:
        key, version = meta[META_TARGET], meta.get(META_TARGET_VERSION, "")
        try:
            head = self._head(key, version)
        except FileNotFoundError:
            log.error("content pointer names %s@%s, which is missing", key, version)
            return None
        if (
            head.get("ObjectLockMode") == LOCK_MODE
            and head.get("ContentLength") == size
            and head.get("ChecksumSHA256") == meta.get(META_TARGET_CHECKSUM)
        ):
            return key, version, head.get("ObjectLockRetainUntilDate")
        log.error("content pointer names %s@%s, which does not match it", key, version)
        return None

    # --- reading ------------------------------------------------------------------------
    def open(self, key: str, *, version: str = "") -> BinaryIO:
        version = self._pinned(key, version)
        size = self._head(key, version)["ContentLength"]
        raw = S3Reader(self.client, self.retrier, self.bucket, key, version, size)
        return io.BufferedReader(raw, buffer_size=READ_BUFFER_BYTES)

    def stat(self, key: str, *, version: str = "") -> ObjectStat:
        version = self._pinned(key, version)
        head = self._head(key, version)
        until = head.get("ObjectLockRetainUntilDate")
        locked = (
            head.get("ObjectLockMode") == LOCK_MODE and until and until > dt.datetime.now(dt.UTC)
        )
        hold = head.get("ObjectLockLegalHoldStatus") == "ON"
        return ObjectStat(
            key,
            head["ContentLength"],
            read_only=bool(locked or hold),
            version=version,
            retain_until=until,
            legal_hold=hold,
        )

    def exists(self, key: str, *, version: str = "") -> bool:
        try:
            self._head(key, self._pinned(key, version))
        except FileNotFoundError:
            return False
        return True

    def verify(self, key: str, sha256: str, *, version: str = "") -> bool:
        """Stream the pinned version through SHA-256; False if missing, corrupt or different."""
        hasher = PipelinedHasher()
        try:
            with self.open(key, version=version) as src:
                copy_hashing(src, lambda _view: None, hasher, chunk_bytes=self.chunk_bytes)
            return hasher.hexdigest() == sha256
        except FileNotFoundError:
            log.error("verify %s@%s: object missing", key, version)
            return False
        except StoreIntegrityError as exc:
            log.error("verify %s@%s: %s", key, version, exc)
            return False
        finally:
            hasher.close()

    def local_path(self, key: str, *, version: str = "") -> None:
        return None

    def presigned_url(
        self,
        key: str,
        *,
        version: str = "",
        expires_seconds: int,
        filename: str = "",
        content_type: str = "",
    ) -> str:
        """A GET URL for exactly the pinned version, signed for ``expires_seconds`` (SigV4)."""
        params = {"Bucket": self.bucket, "Key": key, "VersionId": self._pinned(key, version)}
        if filename:
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_seconds
        )

    # --- locks ----------------------------------------------------------------------------
    def _lock_subjects(self, key: str, version: str) -> list[tuple[str, str, dict]]:
        """(key, version, head) a lock change applies to: the object itself; for the content
        pointer of a large original, first the object holding the bytes, then the pointer."""
        version = self._pinned(key, version)
        head = self._head(key, version)
        meta = head.get("Metadata", {})
        if not meta.get(META_TARGET):
            return [(key, version, head)]
        target = meta[META_TARGET]
        target_version = self._pinned(target, meta.get(META_TARGET_VERSION, ""))
        return [(target, target_version, self._head(target, target_version)), (key, version, head)]

    def set_legal_hold(self, key: str, *, version: str, on: bool) -> None:
        for subject, subject_version, _head in self._lock_subjects(key, version):
            self._request(
                f"legal hold {subject}",
                "put_object_legal_hold",
                Key=subject,
                VersionId=subject_version,
                LegalHold={"Status": "ON" if on else "OFF"},
            )
            log.info(
                "legal hold %s on %s@%s", "set" if on else "released", subject, subject_version
            )

    def extend_retention(self, key: str, *, version: str, until: dt.datetime) -> dt.datetime:
        """Move the COMPLIANCE retain-until date later; an earlier date is refused here first.

        Returns the date the bytes' object holds (for a pointer, the object it names)."""
        until = aware(until)
        (target, target_version, head), *pointers = self._lock_subjects(key, version)
        held = self._extend_one(target, target_version, head, until)
        for pointer, pointer_version, pointer_head in pointers:
            try:
                self._extend_one(pointer, pointer_version, pointer_head, until)
            except RetentionError:
                pass  # the pointer is locked longer already: nothing to do
        return held

    def _extend_one(self, key: str, version: str, head: dict, until: dt.datetime) -> dt.datetime:
        held = head.get("ObjectLockRetainUntilDate")
        if held is not None and until < held:
            raise RetentionError(
                f"refusing to shorten the lock of {key}@{version}: {held} > {until}"
            )
        if held is not None and until == held:
            return held
        check_future(key, until)
        self._request(
            f"extend lock of {key}",
            "put_object_retention",
            Key=key,
            VersionId=version,
            Retention={"Mode": LOCK_MODE, "RetainUntilDate": until},
        )
        return until

    def purge(self, key: str, *, version: str = "", now=None, sha256: str = "") -> None:
        """Delete the original for good once its lock has passed (M5); see ``s3_locks.py``."""
        s3_locks.purge(self, key, version, now, sha256)

    # --- housekeeping ---------------------------------------------------------------------
    def cleanup_incomplete(self, older_than_seconds: float = 600) -> int:
        """Abort multipart uploads idle for that long (their object never came to exist).

        Best effort: with the store down it logs and returns, the next run tries again.
        """
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_seconds)
        removed = 0
        try:
            for prefix in (UPLOAD_PREFIX, *(f"{area}/" for area in AREAS)):
                removed += self._abort_stale_uploads(prefix, cutoff)
        except (StoreError, ClientError, OSError) as exc:
            log.warning("cleanup of incomplete S3 uploads stopped: %s", exc)
        if removed:
            log.warning("removed %d incomplete S3 upload(s) left by an interrupted import", removed)
        return removed

    def _abort_stale_uploads(self, prefix: str, cutoff: dt.datetime) -> int:
        aborted = 0
        response = self._request("list uploads", "list_multipart_uploads", Prefix=prefix)
        for upload in response.get("Uploads", []):
            if upload["Initiated"] > cutoff:
                continue
            # A live upload keeps adding parts; only uploads idle since the cutoff are dead.
            parts = self._request(
                "list parts", "list_parts", Key=upload["Key"], UploadId=upload["UploadId"]
            ).get("Parts", [])
            if any(part["LastModified"] > cutoff for part in parts):
                continue
            self._request(
                "abort upload",
                "abort_multipart_upload",
                Key=upload["Key"],
                UploadId=upload["UploadId"],
            )
            aborted += 1
        return aborted

    def iter_keys(self, area: str) -> Iterator[str]:
        if area not in AREAS:
            raise ValueError(f"unknown area {area!r}")
        seen = None
        for entry in self._versions(f"{area}/"):
            key = entry["Key"]
            sha = key.rsplit("/", 1)[-1]
            if key != seen and SHA256_RE.match(sha) and key == object_key(area, sha):
                seen = key
                # A large file's bytes are where its content address points.
                head = self._head(key, entry["VersionId"])
                yield head.get("Metadata", {}).get(META_TARGET) or key
