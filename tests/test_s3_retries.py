"""M2 on S3: what the server says to retry is retried, after pauses that grow and are logged.

Issue 24: a `weed` out of volumes answered every PUT with ``InternalError`` ("please try
again"); the store retried it, but its log said "retry … in 0.0s" for the tests' 20 ms pauses,
which read as no pause at all. The retries here are the store's own (botocore's are off).
"""

from __future__ import annotations

import io
import logging
import os
import socket

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError

from avrecords.lib.storage.base import StoreUnavailableError
from avrecords.lib.storage.s3 import S3Store
from avrecords.lib.storage.s3_io import MAX_BACKOFF_SECONDS, Retrier
from tests.s3server import ACCESS_KEY, SECRET_KEY

INTERNAL_ERROR = {
    "Error": {
        "Code": "InternalError",
        "Message": "We encountered an internal error, please try again.",
    },
    "ResponseMetadata": {"HTTPStatusCode": 500},
}


def _answer_internal_error(client, operation: str, times: int) -> list[str]:
    """The first ``times`` calls of ``operation`` get a 500 InternalError instead of the server;
    later ones go through. Returns the list of calls made, as they are made."""
    calls: list[str] = []

    def answer(**_kwargs):
        calls.append(operation)
        if len(calls) <= times:
            return AWSResponse("http://fake", 500, {}, None), INTERNAL_ERROR
        return None

    client.meta.events.register(f"before-call.s3.{operation}", answer)
    return calls


def test_an_internal_error_is_retried_after_growing_pauses_and_the_put_lands(
    s3_server, s3_bucket, caplog
):
    store = S3Store(
        bucket=s3_bucket,
        endpoint=s3_server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        attempts=4,
        backoff_seconds=0.02,
    )
    sleeps: list[float] = []
    store.retrier.sleep = sleeps.append
    calls = _answer_internal_error(store.client, "PutObject", times=2)
    data = os.urandom(10_000)
    with caplog.at_level(logging.WARNING, logger="avrecords.lib.storage.s3_io"):
        result = store.put(io.BytesIO(data))
    assert len(calls) == 3  # twice InternalError, then the real server took it
    assert 0.015 <= sleeps[0] <= 0.025 and 0.03 <= sleeps[1] <= 0.05 and len(sleeps) == 2
    with store.open(result.key, version=result.version) as stored:
        assert stored.read() == data
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"PUT {result.key} failed (InternalError); retry 1 of 3 in {round(sleeps[0] * 1000)} ms",
        f"PUT {result.key} failed (InternalError); retry 2 of 3 in {round(sleeps[1] * 1000)} ms",
    ]


def test_an_internal_error_on_every_attempt_makes_the_store_unavailable(s3_server, s3_bucket):
    store = S3Store(
        bucket=s3_bucket,
        endpoint=s3_server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        attempts=3,
        backoff_seconds=0.5,
    )
    sleeps: list[float] = []
    store.retrier.sleep = sleeps.append
    calls = _answer_internal_error(store.client, "PutObject", times=99)
    with pytest.raises(StoreUnavailableError, match=r"after 3 attempt\(s\): InternalError"):
        store.put(io.BytesIO(b"x" * 1000))
    assert len(calls) == 3 and len(sleeps) == 2 and sleeps[0] < sleeps[1]


def test_transient_failures_are_retried_with_growing_backoff():
    sleeps: list[float] = []
    retrier = Retrier(attempts=4, backoff_seconds=0.1, sleep=sleeps.append)
    failures = iter([EndpointConnectionError(endpoint_url="x")] * 2)

    def flaky():
        for exc in failures:
            raise exc
        return "ok"

    assert retrier.call("put", flaky) == "ok"
    assert len(sleeps) == 2 and 0.07 < sleeps[0] < 0.13 and 0.15 < sleeps[1] < 0.25
    denied = ClientError({"Error": {"Code": "AccessDenied"}}, "PutObject")
    with pytest.raises(ClientError):
        retrier.call("put", lambda: (_ for _ in ()).throw(denied))
    assert len(sleeps) == 2  # a refusal is not retried
    down = Retrier(attempts=3, backoff_seconds=0, sleep=sleeps.append)
    with pytest.raises(StoreUnavailableError):
        down.call("put", lambda: (_ for _ in ()).throw(EndpointConnectionError(endpoint_url="x")))


def test_no_pause_is_longer_than_the_documented_cap_jitter_included():
    retrier = Retrier(attempts=2000, backoff_seconds=1)
    delays = [retrier.delay(attempt) for attempt in (6, 7, 20, 1999) for _ in range(50)]
    assert max(delays) <= MAX_BACKOFF_SECONDS == 30
    assert min(retrier.delay(1) for _ in range(50)) >= 0.75  # the first pause is the set one


def test_a_store_that_stops_answering_fails_the_put_after_its_retries():
    with socket.socket() as hole:  # accepts connections, never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        store = S3Store(
            bucket="nobody",
            endpoint=f"http://127.0.0.1:{hole.getsockname()[1]}",
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            attempts=2,
            backoff_seconds=0.01,
            timeout_seconds=1,
        )
        with pytest.raises(StoreUnavailableError, match=r"after 2 attempt\(s\)") as failed:
            store.put(io.BytesIO(b"x" * 1000))
        assert "timeout" in str(failed.value).lower()  # the read timed out; it did not hang
