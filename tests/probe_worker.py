"""`avrecords` with one extra job kind, `test.probe`, whose every execution leaves a trace.

    python -m tests.probe_worker worker [--threads N]      # the real `avrecords worker`
    python -m tests.probe_worker enqueue TRACE_DIR COUNT SECONDS [RETRY_SECONDS]

A probe appends "<pid> start" to TRACE_DIR/<job id>.log, sleeps SECONDS (RETRY_SECONDS on
later attempts), then appends "<pid> end". Counting the lines shows how often each job ran
and in which process, independently of the job rows. `enqueue` prints the new job ids as JSON.
Run from the repository root (so `tests` is importable), with the environment of the
installation under test.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

KIND = "test.probe"


def _trace(job, event: str) -> None:
    path = Path(job.payload["dir"]) / f"{job.pk}.log"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{os.getpid()} {event}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def probe(job) -> None:
    _trace(job, "start")
    first = job.attempts <= 1
    time.sleep(job.payload["seconds"] if first else job.payload["retry_seconds"])
    _trace(job, "end")


def _register() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
    django.setup()
    from avrecords.jobs.services import handler

    handler(KIND)(probe)


def _enqueue(trace_dir: str, count: int, seconds: float, retry_seconds: float) -> list[int]:
    from django.db import transaction

    from avrecords.jobs import services

    payload = {"dir": trace_dir, "seconds": seconds, "retry_seconds": retry_seconds}
    with transaction.atomic():  # the messages go out when this commits
        jobs = [services.enqueue(KIND, "test", i, payload) for i in range(count)]
    return [job.pk for job in jobs]


def read_traces(trace_dir: Path) -> dict[int, list[tuple[int, str]]]:
    """{job id: [(pid, "start" | "end"), …]} in the order they were written."""
    traces = {}
    for path in sorted(trace_dir.glob("*.log")):
        lines = [line.split() for line in path.read_text().splitlines()]
        traces[int(path.stem)] = [(int(pid), event) for pid, event in lines]
    return traces


def main(argv: list[str]) -> int:
    _register()
    if argv[0] == "worker":
        from avrecords.cli import main as avrecords

        return avrecords(["avrecords", "worker", *argv[1:]])
    if argv[0] == "enqueue":
        trace_dir, count, seconds = argv[1], int(argv[2]), float(argv[3])
        retry_seconds = float(argv[4]) if len(argv) > 4 else seconds
        print(json.dumps(_enqueue(trace_dir, count, seconds, retry_seconds)))
        return 0
    raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
