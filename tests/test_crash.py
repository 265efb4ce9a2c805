"""M1/M2: kill -9 the import at random moments; a re-run finishes the job and nothing is lost.

After every round the store and the database must agree exactly: every stored original has
its row, every row has its object, every object re-hashes to its name, and every file of the
camera is accounted for. The seed is printed so a failing round can be replayed.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import time
from pathlib import Path

import pytest

from avrecords.demo import media
from tests.cli import CliHome

FILES_PER_DUMP = 8
ROUNDS = 5


def _make_dump(root: Path, round_no: int) -> Path:
    folder = root / f"CAMERA{round_no}" / "DCIM" / "100MEDIA"
    folder.mkdir(parents=True)
    for i in range(FILES_PER_DUMP):
        ts = f"202611{10 + round_no:02d}09{i:02d}00"
        media.make_video(
            folder / f"3501001_350211_{ts}_{i + 1:04d}.MP4", seconds=2, variant=round_no * 100 + i
        )
    return folder.parent.parent


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_store_and_db_agree(cli: CliHome, camera_hashes: set[str] | None = None) -> None:
    """Exact agreement; or, right after a kill, extra objects only if whole files of the camera
    (bytes made durable a moment before their row would have been committed)."""
    rows = dict(cli.query("SELECT sha256, storage_key FROM recordings_recording"))
    stored = {p.name: p for p in (cli.store / "originals").rglob("*") if p.is_file()}
    assert set(rows) <= set(stored), "a recording row without its stored original"
    orphans = set(stored) - set(rows)
    if camera_hashes is None:
        assert not orphans, "store and database disagree after the re-run"
    else:
        assert orphans <= camera_hashes, "an object in the store that is no file of the camera"
        assert len(orphans) <= 1, "more than one file between store commit and row commit"
        for sha in orphans:
            assert _sha(stored[sha]) == sha
    for sha, key in rows.items():
        assert (cli.store / key) == stored[sha]
        assert _sha(stored[sha]) == sha, f"stored object {sha} does not re-hash to its name"
    sizes = dict(cli.query("SELECT sha256, size_bytes FROM recordings_recording"))
    assert all(stored[sha].stat().st_size == size for sha, size in sizes.items())


@pytest.mark.slow
def test_an_import_killed_at_random_moments_is_finished_by_a_rerun(tmp_path):
    seed = int(os.environ.get("AVRECORDS_CRASH_SEED", time.time_ns() % 100000))
    rng = random.Random(seed)
    cli = CliHome(tmp_path / "home", migrated=True)
    code, _ = cli.ingest(_make_dump(tmp_path, 0))  # a store that already holds recordings
    assert code == 0
    killed_mid_import = 0
    partial_rounds = 0
    for round_no in range(1, ROUNDS + 1):
        dump = _make_dump(tmp_path, round_no)
        camera_hashes = {_sha(p) for p in dump.rglob("*.MP4")}
        # Aim inside the file loop: after a random number of files, plus a random few ms
        # (landing in a copy, a probe, or between the store commit and the row commit).
        after_files = rng.randrange(0, FILES_PER_DUMP)
        extra = rng.uniform(0, 0.06)
        delay = f"{after_files} files + {extra * 1000:.0f} ms"
        last_batch = cli.query("SELECT COALESCE(MAX(id), 0) FROM recordings_ingestbatch")[0][0]
        proc = cli.popen(
            "ingest",
            str(dump),
            "--station",
            "一中队采集站",
            "--json",
            stdout=open(os.devnull, "w"),
            stderr=open(os.devnull, "w"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            done = cli.query(
                "SELECT COUNT(*) FROM recordings_ingestitem WHERE batch_id > ?", (last_batch,)
            )
            if (
                cli.query(
                    "SELECT COUNT(*) FROM recordings_ingestbatch WHERE id > ?", (last_batch,)
                )[0][0]
                and done[0][0] >= after_files
            ):
                break
            time.sleep(0.005)
        time.sleep(extra)
        if proc.poll() is None:
            killed_mid_import += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _assert_store_and_db_agree(
            cli, camera_hashes
        )  # right after the kill: nothing half-recorded

        code, report = cli.ingest(dump)
        assert code == 0, f"seed {seed} round {round_no}: re-run failed"
        outcomes = {f["outcome"] for f in report["files"]}
        print(f"round {round_no}: killed after {delay} -> re-run {report['counts']}")
        if report["counts"]["duplicate"] and report["counts"]["imported"]:
            partial_rounds += 1
        assert outcomes <= {"imported", "duplicate"}, f"seed {seed}: {report['files']}"
        assert len(report["files"]) == FILES_PER_DUMP
        _assert_store_and_db_agree(cli)
        db_hashes = {row[0] for row in cli.query("SELECT sha256 FROM recordings_recording")}
        assert camera_hashes <= db_hashes, f"seed {seed} round {round_no}: files lost"
        sources = cli.query(
            "SELECT COUNT(*) FROM recordings_recordingsource s JOIN recordings_ingestbatch b "
            "ON s.batch_id = b.id WHERE b.id = ?",
            (report["batch_id"],),
        )[0][0]
        assert sources == FILES_PER_DUMP

    assert killed_mid_import >= ROUNDS - 1, f"seed {seed}: kills mostly missed the import window"
    assert partial_rounds >= 1, f"seed {seed}: no kill landed between two files"
    states = dict(cli.query("SELECT state, COUNT(*) FROM recordings_ingestbatch GROUP BY state"))
    assert "running" not in states  # every killed batch was marked interrupted by the next run
    errors = {
        row[0] for row in cli.query("SELECT error FROM recordings_ingestbatch WHERE state='failed'")
    }
    assert all("意外中止" in e for e in errors)
    assert cli.run("audit", "verify").returncode == 0
    leftovers = list((cli.store / "tmp").iterdir())
    assert all(p.name.startswith("put-") for p in leftovers)  # invisible partial copies only
