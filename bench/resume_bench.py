"""Resumable upload (tus, issue 19 §3): resume overhead after dropped connections, and
throughput against the one-pass bound.

In one run, on one generated ~200 MiB MP4 and a fresh AVRECORDS_HOME with a real
`avrecords serve`:

  (a) bounds    1: reading the file and hashing it with SHA-256 in one pass (8 MiB reads);
                2: copying it once with SHA-256 in the same pass and the store's fsync (file
                and directory), on the platform's disk: the one durable write it must do;
  (b) upload    the file with tuspy (8 MiB parts, sha256 part checksums, a person's Bearer
                token) straight to the server: wall time from creation to the answer of the last part, which
                includes the server's ingest (the part file hashed and adopted by the store,
                probe, rows);
  (c) resumed   the same file again under another name (the same bytes: it ends as a
                duplicate after the same copy-and-hash work) through a proxy that drops the connection at 3 random byte offsets; tuspy asks the
                offset (HEAD) and goes on. Printed: the body bytes sent that the server did
                not keep ("re-sent"), per cut, against the target of at most one part each.

Ratios: upload and resumed against each bound (throughput). Exit status 0 whatever the figures
(a report); non-zero only if something errors or an upload ends wrong.

    .venv/bin/python bench/resume_bench.py [--size-mb 200] [--part-mib 8] [--cuts 3]
        [--workdir /tmp] [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmedia import (  # noqa: E402
    MB,
    MIB,
    bound_lines,
    copy_hash_fsync_seconds,
    dump_name,
    encode_clip,
    log,
    read_hash_seconds,
    remux_to_size,
)
from tests.tcpgate import CuttingProxy, free_port  # noqa: E402

PASSWORD = "Bench-Resume-2026!"
SETUP = f"""
from avrecords.org.models import Role, Unit, User
unit = Unit.objects.create(name="基准测试单位", code="BENCH")
u = User(username="bench", full_name="基准测试管理员", role=Role.ADMIN, unit=unit)
u.set_password({PASSWORD!r}); u.save()
from avrecords.agency import api_tokens
print(api_tokens.create(u, "断点续传基准测试").secret)
"""
# A Bearer token, as a terminal or station sends: HTTP Basic would check the password
# (a deliberately slow hash) on every 8 MiB part, a third of a second each.
AUTH = ""


def avrecords_exe() -> str:
    beside = Path(sys.executable).parent / "avrecords"
    found = str(beside) if beside.exists() else shutil.which("avrecords")
    if not found:
        raise SystemExit("avrecords command not found (run `make install` first)")
    return found


def clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AVRECORDS_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["AVRECORDS_HOME"] = str(home)
    env["AVRECORDS_TWO_FACTOR_ROLES"] = "none"
    return env


def upload(base: str, path: Path, name: str, part_bytes: int) -> tuple[float, int, str]:
    """(seconds, body bytes sent, upload URL) of one tuspy upload."""
    from tusclient.client import TusClient
    from tusclient.uploader import Uploader

    class CountingUploader(Uploader):
        CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)
        body_bytes = 0

        def _do_request(self):
            CountingUploader.body_bytes += self.get_request_length()
            return super()._do_request()

    client = TusClient(f"{base}/api/v1/uploads/", headers={"Authorization": AUTH})
    uploader = CountingUploader(
        str(path),
        client=client,
        chunk_size=part_bytes,
        metadata={"filename": name},
        retries=5,
        retry_delay=0,
        upload_checksum=True,
    )
    t0 = time.perf_counter()
    uploader.upload()
    return time.perf_counter() - t0, CountingUploader.body_bytes, uploader.url


def result_of(port: int, url: str) -> dict:
    path = url.split("/api/", 1)[1]
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/{path}",
        headers={"Authorization": AUTH, "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.load(response)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=200, help="file size, MiB")
    ap.add_argument("--part-mib", type=int, default=8, help="tus part size, MiB")
    ap.add_argument("--cuts", type=int, default=3, help="connections dropped")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="resume-bench-", dir=args.workdir))
    try:
        return bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(args, work: Path) -> int:
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    clip = encode_clip(work / "clip.mp4")
    source = work / dump_name(0)
    remux_to_size(clip, source, args.size_mb * MIB, "file")
    size = source.stat().st_size
    expected_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    part = args.part_mib * MIB
    log(f"file: {size / MIB:.0f} MiB, parts of {args.part_mib} MiB, seed {seed}")

    home = work / "home"
    env = clean_env(home)
    exe = avrecords_exe()
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [exe, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
    )
    global AUTH
    AUTH = "Bearer " + made.stdout.strip().splitlines()[-1]
    port = free_port()
    server_log = open(work / "server.log", "w")
    server = subprocess.Popen(
        [exe, "serve", "--port", str(port)], env=env, stdout=server_log, stderr=server_log
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        bound = read_hash_seconds([source])
        copy_bound = copy_hash_fsync_seconds([source], home / "bound-copies")
        log("(a) bounds: measured on the same file, printed with each rate below")

        seconds, sent, url = upload(f"http://127.0.0.1:{port}", source, source.name, part)
        first = result_of(port, url)
        if first["sha256"] != expected_sha or first["outcome"] != "imported":
            raise RuntimeError(f"upload ended wrong: {first}")
        log(
            f"(b) upload  tus, no cut: {seconds:.2f} s, {size / seconds / MB:.0f} MB/s "
            "(includes the server's ingest)"
        )
        for line in bound_lines(size, seconds, bound, copy_bound):
            log("    " + line)

        cuts = sorted(rng.sample(range(1, size), args.cuts))
        proxy = CuttingProxy(port, cuts)
        try:
            seconds2, sent2, url2 = upload(
                f"http://127.0.0.1:{proxy.port}", source, "断点续传_" + source.name, part
            )
        finally:
            proxy.close()
        second = result_of(port, url2)
        if second["sha256"] != expected_sha or second["outcome"] not in ("imported", "duplicate"):
            raise RuntimeError(f"resumed upload ended wrong: {second}")
        resent = sent2 - size
        per_cut = resent / max(proxy.cuts, 1)
        verdict = "PASS" if proxy.cuts == args.cuts and resent <= args.cuts * part else "FAIL"
        log(
            f"(c) resumed {proxy.cuts} cuts at {', '.join(f'{c / MIB:.1f}' for c in cuts)} MiB: "
            f"{seconds2:.2f} s, {size / seconds2 / MB:.0f} MB/s; outcome {second['outcome']}"
        )
        for line in bound_lines(size, seconds2, bound, copy_bound):
            log("    " + line)
        log(
            f"    re-sent after the cuts: {resent / MIB:.1f} MiB in all, {per_cut / MIB:.1f} MiB "
            f"per cut (target: at most one part, {args.part_mib} MiB, each) {verdict}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
