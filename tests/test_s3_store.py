"""M2 on S3: originals locked in COMPLIANCE mode on a real SeaweedFS, and the store itself refuses.

The server is `weed mini` (tests/s3server.py). "The store refuses" is shown by calling the
server directly with boto3, the way anyone holding the credentials could.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from avrecords.audit.models import AuditEntry
from avrecords.jobs import services as jobs
from avrecords.lib.storage.base import (
    RetentionError,
    StoreIntegrityError,
    StoreNotReady,
)
from avrecords.lib.storage.s3 import S3Store
from avrecords.recordings.ingest import STORE_DOWN_MESSAGE, STORE_DOWN_REASON, ingest_directory
from avrecords.recordings.models import IngestBatch, IngestSource, QuarantinedFile, Recording
from tests import media as m
from tests.cli import AVRECORDS, CliHome
from tests.conftest import client_for
from tests.media import make_dump
from tests.rows import grant
from tests.s3server import ACCESS_KEY, SECRET_KEY, SeaweedServer, configure_store

MiB = 1024 * 1024
# Sorts between H264 (…093000…) and MOV (…094500…) in a dump; 12.8 MB of PCM = 3 parts of 5 MiB.
LONG_WAV = "3501001_350211_20261120094000_0012.WAV"


def _code(call, *args, **kwargs) -> str | None:
    try:
        call(*args, **kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return None


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _leftovers(client, bucket: str) -> tuple[list, list]:
    """Objects that are not COMPLIANCE-locked, and unfinished multipart uploads."""
    versions = client.list_object_versions(Bucket=bucket).get("Versions", [])
    unlocked = [
        (v["Key"], v["VersionId"])
        for v in versions
        if client.head_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"]).get(
            "ObjectLockMode"
        )
        != "COMPLIANCE"
    ]
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return unlocked, uploads


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory) -> Path:
    return m.media.make_audio(tmp_path_factory.mktemp("wav") / LONG_WAV, seconds=400)


@pytest.fixture
def store(s3_server, s3_bucket) -> S3Store:
    return S3Store(
        bucket=s3_bucket,
        endpoint=s3_server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        part_bytes=5 * MiB,
        attempts=2,
        backoff_seconds=0.02,
        chunk_bytes=1 * MiB,
    )


# --- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 300_000, 12 * MiB + 7], ids=["empty", "one-put", "multipart"])
def test_put_hashes_in_one_pass_and_locks_the_bytes_under_their_hash(store, s3_server, size):
    data = os.urandom(size)
    before = dt.datetime.now(dt.UTC)
    result = store.put(io.BytesIO(data))
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size_bytes == size
    address = f"originals/{result.sha256[:2]}/{result.sha256[2:4]}/{result.sha256}"
    s3 = s3_server.client()
    if size < store.part_bytes:  # one PUT to the content address
        assert result.key == address
    else:  # one upload to its own key, and a locked pointer at the content address
        assert result.key.startswith("objects/")
        [pointer] = s3.list_object_versions(Bucket=store.bucket, Prefix=address)["Versions"]
        meta = s3.head_object(Bucket=store.bucket, Key=address, VersionId=pointer["VersionId"])
        assert meta["ObjectLockMode"] == "COMPLIANCE" and meta["ContentLength"] == 0
        assert (meta["Metadata"]["target"], meta["Metadata"]["target-version"]) == (
            result.key,
            result.version,
        )
    assert result.version and not result.already_present
    head = s3.head_object(Bucket=store.bucket, Key=result.key, VersionId=result.version)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ContentLength"] == size
    expected_until = before + dt.timedelta(days=730)
    assert abs((head["ObjectLockRetainUntilDate"] - expected_until).total_seconds()) < 60
    assert abs((result.retain_until - expected_until).total_seconds()) < 60
    with store.open(result.key, version=result.version) as fh:
        assert fh.read() == data
    assert store.stat(result.key, version=result.version).read_only
    assert _leftovers(s3_server.client(), store.bucket) == ([], [])


def test_the_same_bytes_are_stored_once(store, s3_server):
    for data in (b"small" * 1000, os.urandom(6 * MiB)):
        first = store.put(io.BytesIO(data))
        second = store.put(io.BytesIO(data), area="originals")
        assert second.already_present and (second.key, second.version) == (first.key, first.version)
        versions = s3_server.client().list_object_versions(Bucket=store.bucket, Prefix=first.key)
        assert len(versions["Versions"]) == 1
    assert _leftovers(s3_server.client(), store.bucket) == ([], [])


def test_a_big_quarantined_file_is_found_again_through_its_pointer(store, s3_server):
    data = os.urandom(11 * MiB)
    result = store.put(io.BytesIO(data), area="quarantine")
    assert store.verify(result.key, result.sha256, version=result.version)
    assert list(store.iter_keys("quarantine")) == [result.key]
    assert list(store.iter_keys("originals")) == []
    again = store.put(io.BytesIO(data), area="quarantine")
    assert again.already_present and (again.key, again.version) == (result.key, result.version)
    # The second upload was aborted before completion: no second object, nothing to unlock.
    objects = s3_server.client().list_object_versions(Bucket=store.bucket, Prefix="objects/")
    assert len(objects["Versions"]) == 1
    assert _leftovers(s3_server.client(), store.bucket) == ([], [])


def test_a_pointer_to_other_bytes_is_not_adopted(store, s3_server):
    """Someone with credentials writes a pointer at a content address naming another object."""
    decoy = store.put(io.BytesIO(os.urandom(6 * MiB)))
    data = os.urandom(6 * MiB)
    sha = hashlib.sha256(data).hexdigest()
    address = f"originals/{sha[:2]}/{sha[2:4]}/{sha}"
    s3_server.client().put_object(
        Bucket=store.bucket,
        Key=address,
        Body=b"",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        Metadata={"sha256": sha, "target": decoy.key, "target-version": decoy.version},
    )
    result = store.put(io.BytesIO(data))
    assert not result.already_present and result.key != decoy.key
    with store.open(result.key, version=result.version) as fh:
        assert fh.read() == data


def test_a_server_checksum_that_disagrees_with_the_parts_fails_the_commit(store, monkeypatch):
    from avrecords.lib.storage import s3_put

    monkeypatch.setattr(s3_put, "composite_checksum", lambda parts: b64_of(b"other"))
    with pytest.raises(StoreIntegrityError):
        store.put(io.BytesIO(os.urandom(6 * MiB)))


def b64_of(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_range_reads_and_seeks_return_exactly_those_bytes(store):
    data = os.urandom(7 * MiB)
    result = store.put(io.BytesIO(data))
    with store.open(result.key, version=result.version) as fh:
        fh.seek(5 * MiB - 10)
        assert fh.read(20) == data[5 * MiB - 10 : 5 * MiB + 10]
        fh.seek(-100, io.SEEK_END)
        assert fh.read() == data[-100:]
        fh.seek(123)
        assert fh.read(3 * MiB) == data[123 : 123 + 3 * MiB]
    chunks = store.iter_range(result.key, 1000, 2 * MiB, version=result.version)
    assert b"".join(chunks) == data[1000 : 2 * MiB + 1]


def test_verify_rehashes_the_pinned_version_and_catches_tampering(store, s3_server):
    result = store.put(io.BytesIO(os.urandom(200_000)))
    assert store.verify(result.key, result.sha256, version=result.version)
    assert not store.verify(result.key, "0" * 64, version=result.version)
    missing = "originals/aa/aa/" + "a" * 64
    assert not store.verify(missing, "a" * 64) and not store.exists(missing)
    s3_server.tamper_replace(store.bucket, result.key, result.version, b"forged" * 1000)
    assert not store.verify(result.key, result.sha256, version=result.version)


def test_bytes_altered_under_intact_metadata_are_refused_as_corrupt(store, s3_server):
    data = os.urandom(100_000)
    result = store.put(io.BytesIO(data))
    forged = b"X" + data[1:]
    assert s3_server.tamper_chunk(store.bucket, result.key, result.version, forged) == 201
    assert store.stat(result.key, version=result.version).size_bytes == len(data)
    with pytest.raises(StoreIntegrityError), store.open(result.key, version=result.version) as fh:
        fh.read()
    assert not store.verify(result.key, result.sha256, version=result.version)


# --- what the server itself refuses ----------------------------------------------------------


def test_the_server_refuses_to_delete_a_locked_version(store, s3_server):
    result = store.put(io.BytesIO(os.urandom(6 * MiB)))
    s3 = s3_server.client()
    kwargs = {"Bucket": store.bucket, "Key": result.key, "VersionId": result.version}
    assert _code(s3.delete_object, **kwargs) == "AccessDenied"
    assert _code(s3.delete_object, **kwargs, BypassGovernanceRetention=True) == "AccessDenied"
    batch = s3.delete_objects(
        Bucket=store.bucket,
        Delete={"Objects": [{"Key": result.key, "VersionId": result.version}]},
        BypassGovernanceRetention=True,
    )
    assert batch["Errors"][0]["Code"] == "AccessDenied"
    assert store.verify(result.key, result.sha256, version=result.version)


def test_an_overwrite_or_delete_marker_never_replaces_the_pinned_version(store, s3_server):
    data = os.urandom(100_000)
    result = store.put(io.BytesIO(data))
    s3 = s3_server.client()
    forged = s3.put_object(Bucket=store.bucket, Key=result.key, Body=b"forged")["VersionId"]
    assert forged != result.version
    assert s3.get_object(Bucket=store.bucket, Key=result.key)["Body"].read() == b"forged"
    s3.delete_object(Bucket=store.bucket, Key=result.key)  # a delete marker on top
    for version in (result.version, ""):  # recorded version, or the oldest locked one
        with store.open(result.key, version=version) as fh:
            assert fh.read() == data
    assert store.verify(result.key, result.sha256)
    again = store.put(io.BytesIO(data))  # the forged latest version is never adopted
    assert again.already_present and again.version == result.version


def test_retention_is_only_ever_extended(store, s3_server):
    result = store.put(io.BytesIO(b"evidence" * 100))
    s3 = s3_server.client()
    shorter = result.retain_until - dt.timedelta(days=1)
    with pytest.raises(RetentionError):
        store.extend_retention(result.key, version=result.version, until=shorter)
    assert (
        _code(
            s3.put_object_retention,
            Bucket=store.bucket,
            Key=result.key,
            VersionId=result.version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": shorter},
            BypassGovernanceRetention=True,
        )
        == "AccessDenied"
    )
    assert (
        _code(
            s3.put_object_retention,
            Bucket=store.bucket,
            Key=result.key,
            VersionId=result.version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": result.retain_until},
        )
        == "AccessDenied"
    )
    longer = result.retain_until + dt.timedelta(days=365)
    assert store.extend_retention(result.key, version=result.version, until=longer) == longer
    held = store.stat(result.key, version=result.version).retain_until
    assert abs((held - longer).total_seconds()) < 1


def test_a_legal_hold_can_be_set_and_released(store, s3_server):
    result = store.put(io.BytesIO(b"case 2026-17" * 100))
    s3 = s3_server.client()
    store.set_legal_hold(result.key, version=result.version, on=True)
    assert store.stat(result.key, version=result.version).legal_hold
    hold = s3.get_object_legal_hold(Bucket=store.bucket, Key=result.key, VersionId=result.version)
    assert hold["LegalHold"]["Status"] == "ON"
    store.set_legal_hold(result.key, version=result.version, on=False)
    assert not store.stat(result.key, version=result.version).legal_hold


def test_a_presigned_url_serves_the_pinned_version_and_then_expires(store):
    data = os.urandom(50_000)
    result = store.put(io.BytesIO(data))
    url = store.presigned_url(
        result.key, version=result.version, expires_seconds=1, filename="现场.mp4"
    )
    with urllib.request.urlopen(url) as response:
        assert response.read() == data
        assert "UTF-8''%E7%8E%B0%E5%9C%BA.mp4" in response.headers["Content-Disposition"]
    time.sleep(2.2)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url)
    assert expired.value.code == 403


# --- leftovers, faults, start-up checks --------------------------------------------------------


def test_an_aborted_put_and_a_stale_upload_leave_nothing_behind(store, s3_server):
    pending = store.begin_put()
    pending.write(os.urandom(6 * MiB))  # one part sent: the upload exists
    pending.abort()
    s3 = s3_server.client()
    assert _leftovers(s3, store.bucket) == ([], [])
    dead = s3.create_multipart_upload(Bucket=store.bucket, Key="objects/dead")
    assert store.cleanup_incomplete() == 0  # younger than 10 minutes
    assert store.cleanup_incomplete(older_than_seconds=0) == 1
    assert _leftovers(s3, store.bucket) == ([], [])
    assert dead["UploadId"]


def test_verify_ready_accepts_only_an_object_lock_bucket(store, s3_server):
    store.verify_ready()
    for bucket, secret, words in [
        (s3_server.make_bucket(lock=False), SECRET_KEY, "对象锁定"),
        ("no-such-bucket", SECRET_KEY, "不存在"),
        (store.bucket, "wrong-secret", "访问密钥"),
    ]:
        other = S3Store(
            bucket=bucket, endpoint=s3_server.endpoint, access_key=ACCESS_KEY, secret_key=secret
        )
        with pytest.raises(StoreNotReady) as refused:
            other.verify_ready()
        assert words in refused.value.user_message and refused.value.returncode == 2


def _run(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {
        **os.environ,
        "AVRECORDS_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "avrecords.settings",
    }
    full.pop("DATABASE_URL", None)
    return subprocess.run(
        [*AVRECORDS, *args], env={**full, **env}, capture_output=True, text=True, timeout=90
    )


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("avrecords: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("command", ["init", "worker", "serve", "ingest"])
def test_every_process_that_touches_originals_checks_the_store_first(
    s3_server, settings, command, capsys, monkeypatch
):
    from avrecords import cli

    configure_store(settings, s3_server, s3_server.make_bucket(lock=False))
    monkeypatch.setattr("django.setup", lambda: None)  # already set up by pytest-django
    args = {"serve": ["--port", "0"], "ingest": [".", "--station", "站"]}.get(command, [])
    assert cli.main(["avrecords", command, *args]) == 2  # returns before the command runs
    assert "对象锁定" in _one_line(capsys.readouterr().err)


@pytest.mark.slow
def test_a_worker_refuses_to_start_on_a_bucket_without_object_lock(s3_server, tmp_path):
    result = _run(tmp_path, s3_server.store_env(s3_server.make_bucket(lock=False)), "worker")
    assert result.returncode == 2
    assert "对象锁定" in _one_line(result.stderr)
    assert "has no Object Lock" in result.stderr  # the English line for the log


@pytest.mark.slow
def test_wrong_credentials_or_an_unreachable_store_refuse_to_start(s3_server, tmp_path):
    env = s3_server.store_env(s3_server.make_bucket(), AVRECORDS_S3_SECRET_KEY="wrong")
    result = _run(tmp_path, env, "init")
    assert result.returncode == 2 and "访问密钥" in _one_line(result.stderr)
    assert "SignatureDoesNotMatch" in result.stderr
    env = s3_server.store_env(
        "any", AVRECORDS_S3_ENDPOINT="http://127.0.0.1:9", AVRECORDS_S3_ATTEMPTS="1"
    )
    result = _run(tmp_path, env, "ingest", ".", "--station", "站")
    assert result.returncode == 3 and "无法连接 S3 存储服务" in _one_line(result.stderr)


@pytest.mark.slow
def test_the_ingest_command_imports_into_s3(s3_server, library, tmp_path):
    bucket = s3_server.make_bucket()
    home = CliHome(tmp_path / "home", migrated=True, **s3_server.store_env(bucket))
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.TRUNCATED])
    code, report = home.ingest(dump)
    assert code == 0 and report["counts"]["imported"] == 1 and report["counts"]["quarantined"] == 1
    key, version = home.query("SELECT storage_key, storage_version FROM recordings_recording")[0]
    head = s3_server.client().head_object(Bucket=bucket, Key=key, VersionId=version)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert not (home.store / "originals").exists() or not any((home.store / "originals").iterdir())


# --- the product on S3 -----------------------------------------------------------------------


def _ingest(dump: Path, *args: str) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_dump_lands_locked_on_s3_is_verified_before_erase_and_plays_with_ranges(
    s3_store, s3_server, org, library, long_wav, tmp_path, monkeypatch
):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.PHOTO, m.AMR, m.TRUNCATED])
    shutil.copyfile(library / m.H264, dump / "DCIM" / "100MEDIA" / m.DUPLICATE)
    shutil.copyfile(long_wav, dump / "DCIM" / "100MEDIA" / LONG_WAV)
    verified: list[tuple[str, str]] = []
    real_verify = S3Store.verify

    def spy(self, key, sha256, *, version=""):
        verified.append((key, version))
        return real_verify(self, key, sha256, version=version)

    monkeypatch.setattr(S3Store, "verify", spy)
    report = _ingest(dump, "--erase-after-verify")
    assert report["counts"]["imported"] == 4 and report["counts"]["duplicate"] == 1
    assert report["counts"]["quarantined"] == 1 and report["counts"]["failed"] == 0
    assert not list((dump / "DCIM" / "100MEDIA").iterdir())  # each erased after its re-hash
    s3 = s3_server.client()
    stored = [(r.storage_key, r.storage_version) for r in Recording.objects.all()]
    q = QuarantinedFile.objects.get()
    for key, version in [*stored, (q.storage_key, q.storage_version)]:
        assert version and (key, version) in verified
        head = s3.head_object(Bucket=s3_store.bucket, Key=key, VersionId=version)
        assert head["ObjectLockMode"] == "COMPLIANCE"
    assert all(r.retain_until for r in Recording.objects.all())
    assert _leftovers(s3, s3_store.bucket) == ([], [])

    wav = Recording.objects.get(original_name=LONG_WAV)
    data = long_wav.read_bytes()
    officer = client_for(org.officer)
    for first, last in [(100, 1099), (6 * MiB - 5, 6 * MiB + 4), (len(data) - 10, len(data) - 1)]:
        resp = officer.get(f"/recordings/{wav.pk}/media", HTTP_RANGE=f"bytes={first}-{last}")
        assert resp.status_code == 206
        assert resp["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
        assert b"".join(resp.streaming_content) == data[first : last + 1]
    h264 = Recording.objects.get(original_name=m.H264)
    whole = officer.get(f"/recordings/{h264.pk}/media")
    assert b"".join(whole.streaming_content) == (library / m.H264).read_bytes()
    plays = AuditEntry.objects.filter(action="recording.play", object_id=str(h264.pk))
    assert plays.count() == 1

    grant(org.admin, h264)
    download = client_for(org.admin).get(f"/recordings/{h264.pk}/original")
    assert download.status_code == 302 and download["Cache-Control"] == "private, no-store"
    assert (
        "X-Amz-Expires=60" in download["Location"] and h264.storage_version in download["Location"]
    )
    with urllib.request.urlopen(download["Location"]) as got:
        assert got.read() == (library / m.H264).read_bytes()
    downloads = AuditEntry.objects.filter(action="recording.download", object_id=str(h264.pk))
    assert downloads.count() == 1

    assert jobs.run_pending() >= 3  # thumbnails (video, photo) and the AMR proxy, read from S3
    photo = Recording.objects.get(original_name=m.PHOTO)
    assert h264.derivatives.filter(kind="thumbnail").exists()
    assert photo.derivatives.filter(kind="thumbnail").exists()
    assert Recording.objects.get(original_name=m.AMR).derivatives.filter(kind="proxy").exists()


def test_an_upload_while_the_store_is_down_answers_503_and_records_nothing(
    settings, s3_server, org, library
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    configure_store(
        settings,
        s3_server,
        "any",
        AVRECORDS_S3_ENDPOINT="http://127.0.0.1:9",
        AVRECORDS_S3_ATTEMPTS=2,
    )
    video = SimpleUploadedFile(m.H264, (library / m.H264).read_bytes())
    response = client_for(org.admin).post("/api/v1/recordings/uploads", {"files": [video]})
    assert response.status_code == 503 and response.json()["detail"] == STORE_DOWN_MESSAGE
    assert not Recording.objects.exists()
    batch = IngestBatch.objects.get()
    assert batch.state == "failed" and batch.failed == 1


@pytest.mark.slow
def test_an_s3_outage_mid_upload_fails_that_file_cleanly_and_a_rerun_imports_it(
    settings, org, library, long_wav, tmp_path
):
    server = SeaweedServer(tmp_path / "weed").start()
    try:
        bucket = server.make_bucket()
        configure_store(settings, server, bucket, AVRECORDS_COPY_CHUNK_BYTES=256 * 1024)
        dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.MOV])
        shutil.copyfile(long_wav, dump / "DCIM" / "100MEDIA" / LONG_WAV)
        before = _tree(dump)
        kill_at = (library / m.H264).stat().st_size + 7 * MiB  # inside the WAV's second part
        copied = 0

        def pull_the_plug(nbytes: int) -> None:
            nonlocal copied
            copied += nbytes
            if copied >= kill_at and server.proc is not None:
                server.stop(signal.SIGKILL)

        run = {"source": IngestSource.STATION, "station": org.station}
        summary = ingest_directory(dump, progress=pull_the_plug, **run)
        outcomes = {Path(f.path).name: (f.outcome, f.reason) for f in summary.files}
        assert outcomes == {m.H264: ("imported", ""), LONG_WAV: ("failed", STORE_DOWN_REASON)}
        assert summary.aborted == STORE_DOWN_MESSAGE
        assert list(Recording.objects.values_list("original_name", flat=True)) == [m.H264]
        assert not QuarantinedFile.objects.exists()
        assert IngestBatch.objects.get(pk=summary.batch_id).state == "failed"
        assert _tree(dump) == before  # the device copy is untouched

        server.start()
        summary = ingest_directory(dump, **run)
        assert not summary.aborted and summary.counts()["imported"] == 2
        assert summary.counts()["duplicate"] == 1
        from avrecords.lib.storage import get_store

        store = get_store()
        for rec in Recording.objects.all():
            assert store.verify(rec.storage_key, rec.sha256, version=rec.storage_version)
        assert store.cleanup_incomplete(older_than_seconds=0) >= 1  # the cut-off upload
        assert _leftovers(server.client(), bucket) == ([], [])
    finally:
        server.destroy(signal.SIGKILL)  # its data is thrown away: no need to wait for SIGTERM
