"""Worker processes on a shared installation, for the many-workers and outage tests (issue 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests import backends

REPO = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 3
STARTED = "后台处理进程已启动"


class SharedInstallation:
    """A fresh PostgreSQL database, a queue of its own, and the workers started on them.

    `transport` is where the queue lives: "redis", "postgresql" (the same fresh database) or
    "sqlite" (a file in the installation's home, for workers on one host).
    """

    def __init__(self, tmp_path: Path, transport: str) -> None:
        self.tmp = tmp_path
        self.url = backends.fresh_database("workers", migrated=True)
        self.queue_name = f"avrtest{uuid.uuid4().hex[:12]}"  # its own Redis keys / queue rows
        queue_url = {
            "redis": backends.REDIS_URL,
            "postgresql": self.url,
            "sqlite": f"sqlite:///{tmp_path / 'home' / 'queue.sqlite3'}",
        }[transport]
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AVRECORDS_") and k != "DATABASE_URL"
        }
        self.env = {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "avrecords.settings",
            "AVRECORDS_HOME": str(tmp_path / "home"),
            "DATABASE_URL": self.url,
            "AVRECORDS_QUEUE_URL": queue_url,
            "AVRECORDS_QUEUE_NAME": self.queue_name,
            "AVRECORDS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "AVRECORDS_JOB_REAP_SECONDS": "1",
        }
        self.traces = tmp_path / "traces"
        self.traces.mkdir()
        self.workers: list[subprocess.Popen] = []
        init = self.run("-m", "avrecords.cli", "init")
        assert init.returncode == 0, init.stderr

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start_workers(self, count: int, **env: str) -> list[subprocess.Popen]:
        """`count` probe-enabled `avrecords worker` processes (one thread each), once started."""
        started = []
        for _ in range(count):
            log = open(self.tmp / f"worker{len(self.workers) + 1}.log", "w")
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.probe_worker", "worker", "--threads", "1"],
                cwd=REPO,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            proc.log_path = Path(log.name)
            self.workers.append(proc)
            started.append(proc)
        for proc in started:
            wait_until(lambda p=proc: STARTED in p.log_path.read_text(), 60, "worker start")
        return started

    def enqueue(self, count: int, seconds: float, retry_seconds: float | None = None) -> list[int]:
        args = [str(self.traces), str(count), str(seconds)]
        if retry_seconds is not None:
            args.append(str(retry_seconds))
        result = self.run("-m", "tests.probe_worker", "enqueue", *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def jobs(self, ids: list[int]) -> dict[int, tuple]:
        """{id: (state, attempts, worker)} of the probe jobs `ids`."""
        sql = "SELECT id, state, attempts, worker FROM jobs_job WHERE id = ANY(?)"
        return {row[0]: row[1:] for row in backends.query(self.url, sql, (ids,))}

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.workers.clear()

    def close(self) -> None:
        self.stop_workers()
        if self.env["AVRECORDS_QUEUE_URL"].startswith("redis://"):
            import redis

            client = redis.Redis.from_url(backends.REDIS_URL)
            for key in client.scan_iter(f"huey.*{self.queue_name}*"):
                client.delete(key)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pid_of(worker: str) -> int:
    return int(worker.split(":")[1])  # host:pid:thread
