"""S3 plumbing for the store of originals (M2): client, retries with backoff, pinned reads.

Every request goes through ``Retrier.call``: transient failures (connection refused or
reset, timeouts, 5xx, SlowDown) are retried with exponential backoff; after the last
attempt the caller gets ``StoreUnavailableError``. botocore's own retries are off so the
attempts are counted in one place.
"""

from __future__ import annotations

import io
import logging
import random
import time
from collections.abc import Callable

from botocore.exceptions import (
    ClientError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from urllib3.exceptions import HTTPError as Urllib3Error

from avrecords.lib.storage.base import StoreIntegrityError, StoreUnavailableError

log = logging.getLogger(__name__)

TRANSIENT_CODES = {
    "InternalError",
    "OperationAborted",
    "RequestTimeout",
    "ServiceUnavailable",
    "SlowDown",
    "Throttling",
    "ThrottlingException",
}
MISSING_CODES = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}
MAX_BACKOFF_SECONDS = 30.0


def make_client(
    *,
    endpoint: str,
    region: str,
    access_key: str,
    secret_key: str,
    timeout_seconds: int,
    pool_size: int,
):
    """A boto3 S3 client for any S3-compatible store: SigV4 (presigned URLs included), path style."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=min(10, timeout_seconds),
        read_timeout=timeout_seconds,
        max_pool_connections=pool_size,
        tcp_keepalive=True,
        # We send our own SHA-256 checksums; no extra CRC32 pass over every body.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_supported",
    )
    # A session of its own: boto3's default session is not safe to share between threads.
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        config=config,
    )


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        return str(error.get("Code") or status)
    return type(exc).__name__


def is_missing(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in MISSING_CODES


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the store may answer later (down, overloaded, network)."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or error_code(exc) in TRANSIENT_CODES
    if isinstance(exc, FlexibleChecksumError):
        return False  # corrupt bytes do not heal by asking again
    network = (
        BotoConnectionError,  # refused, connect timeout
        HTTPClientError,  # read timeout, connection closed or reset
        IncompleteReadError,
        ResponseStreamingError,
        Urllib3Error,
        ConnectionError,
        TimeoutError,
    )
    return isinstance(exc, network)


class Retrier:
    """Calls a function, retrying transient S3 failures with exponential backoff and jitter."""

    def __init__(
        self, attempts: int, backoff_seconds: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt``: doubling, ±25 % jitter, capped."""
        base = self.backoff_seconds * 2 ** min(attempt - 1, 32)  # no float overflow
        return min(base * random.uniform(0.75, 1.25), MAX_BACKOFF_SECONDS)

    def call(self, what: str, fn: Callable, *args, **kwargs):
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if attempt == self.attempts:
                    raise StoreUnavailableError(
                        f"{what}: S3 store unavailable after {self.attempts} attempt(s): "
                        f"{error_code(exc)}: {exc}"
                    ) from exc
                delay = self.delay(attempt)
                # In milliseconds: a short test back-off logged as "0.0s" read as no pause.
                log.warning(
                    "%s failed (%s); retry %d of %d in %d ms",
                    what,
                    error_code(exc),
                    attempt,
                    self.attempts - 1,
                    round(delay * 1000),
                )
                self.sleep(delay)
        raise AssertionError("unreachable")


class S3Reader(io.RawIOBase):
    """A seekable reader of one pinned object version.

    Read from the start without seeking, it is one GET of the whole object, so botocore
    checks the object's full SHA-256 checksum where the store holds one (corrupt bytes raise
    StoreIntegrityError). After a seek it reads in ranged windows that double while reading
    goes on sequentially, so a player's or PyAV's seeks never pull the whole object.
    A dropped connection mid-read is resumed where it stopped.
    """

    MIN_WINDOW_BYTES = 1024 * 1024
    MAX_WINDOW_BYTES = 64 * 1024 * 1024

    def __init__(self, client, retrier: Retrier, bucket: str, key: str, version: str, size: int):
        super().__init__()
        self._client = client
        self._retrier = retrier
        self._bucket, self._key, self._version = bucket, key, version
        self._size = size
        self._pos = 0
        self._body = None
        self._body_end = 0
        self._seeked = False
        self._window = self.MIN_WINDOW_BYTES

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = base + offset
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if target != self._pos:
            self._drop()
            self._pos = target
            self._seeked = True
            self._window = self.MIN_WINDOW_BYTES
        return self._pos

    def _open(self) -> None:
        what = f"GET {self._key}?versionId={self._version}"
        if self._pos == 0 and not self._seeked:
            end, extra = self._size, {"ChecksumMode": "ENABLED"}
        else:
            end = min(self._size, self._pos + self._window)
            extra = {"Range": f"bytes={self._pos}-{end - 1}"}
            self._window = min(self._window * 2, self.MAX_WINDOW_BYTES)
        response = self._retrier.call(
            what,
            self._client.get_object,
            Bucket=self._bucket,
            Key=self._key,
            VersionId=self._version,
            **extra,
        )
        self._body, self._body_end = response["Body"], end

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def _finish_body(self) -> None:
        # An empty read at the end is what makes botocore compare the checksum.
        try:
            self._body.read(1)
        except FlexibleChecksumError as exc:
            self._drop()
            raise StoreIntegrityError(f"{self._key}@{self._version}: {exc}") from exc
        self._drop()

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        for attempt in range(1, self._retrier.attempts + 1):
            try:
                if self._body is None:
                    self._open()
                data = self._body.read(min(want, self._body_end - self._pos))
                if not data:
                    raise IncompleteReadError(actual_bytes=self._pos, expected_bytes=self._body_end)
                break
            except FlexibleChecksumError as exc:
                self._drop()
                raise StoreIntegrityError(f"{self._key}@{self._version}: {exc}") from exc
            except StoreUnavailableError:
                raise
            except Exception as exc:
                self._drop()
                if not is_transient(exc):
                    raise
                if attempt == self._retrier.attempts:
                    raise StoreUnavailableError(
                        f"read of {self._key}: S3 store unavailable: {error_code(exc)}: {exc}"
                    ) from exc
                log.warning("read of %s interrupted (%s); resuming", self._key, error_code(exc))
                self._retrier.sleep(self._retrier.delay(attempt))
        n = len(data)
        buffer[:n] = data
        self._pos += n
        if self._pos >= self._body_end:
            self._finish_body()
        return n

    def close(self) -> None:
        self._drop()
        super().close()
