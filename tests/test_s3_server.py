"""The tests' own S3 server (tests/s3server.py): room for every test's bucket, and a failing
S3 test that explains itself with the server's log (issue 24)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

from tests.s3server import LOG_TAIL_LINES, VOLUME_SLOTS

ROOT = Path(__file__).resolve().parent.parent


def test_the_session_server_has_room_for_a_volume_per_bucket_whatever_the_free_disk(s3_server):
    # weed mini alone sizes this from the free disk (78 on a disk with 79 GiB free), and each
    # bucket of the session takes a volume: the 79th bucket answered InternalError to every PUT.
    with urllib.request.urlopen(f"http://127.0.0.1:{s3_server.master}/dir/status") as answer:
        topology = json.load(answer)["Topology"]
    assert topology["Max"] == VOLUME_SLOTS >= 500


def test_a_failing_s3_test_ends_its_report_with_the_servers_log(tmp_path):
    (tmp_path / "test_probe.py").write_text(
        textwrap.dedent(
            """
            def test_fails_after_using_the_server(s3_server):
                s3_server.make_bucket()
                assert False, "on purpose"

            def test_fails_without_the_server():
                assert False, "on purpose too"

            def test_passes_with_the_server(s3_server):
                s3_server.make_bucket()
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_CURRENT_TEST", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.s3server", "-p", "no:django", "-p"]
        + ["no:cacheprovider", "-q", "test_probe.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 failed, 1 passed" in run.stdout
    title = f"weed.log, last {LOG_TAIL_LINES} lines ("
    assert run.stdout.count(title) == 1, run.stdout  # the failing S3 test only
    section = run.stdout.index(title)
    assert (
        run.stdout.index("_ test_fails_after_using_the_server _")
        < section
        < run.stdout.index("_ test_fails_without_the_server _")
    )
    log = run.stdout[section:]
    assert "weed.log)" in log.splitlines()[0] and "Starting SeaweedFS Mini" in log, log
