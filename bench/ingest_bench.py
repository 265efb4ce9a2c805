"""Ingest throughput against the one-pass physical bound, and peak memory on a 4 GB file.

For the same generated MP4 files, in the same run:

  (a) ingest   wall time of the real CLI `avrecords ingest DIR --station NAME --json`,
               each run with its own fresh AVRECORDS_HOME on the source files' filesystem;
  (b) bound    `tee DEST < SRC | openssl dgst -sha256 > /dev/null` per file (one read,
               one write, one hash: what a single copying-and-hashing pass can do);
  (c) ratio    ingest / bound (target >= 0.9);
  (d) peak RSS of ingesting one ~4 GB file (target < 200 MB).

Ingest fsyncs every file (durability); tee does not. The headline bound is tee exactly as
above, and a second bound, `tee ...; sync DEST`, shows what durability costs.

Fairness without root (no drop_caches), before every measured phase, untimed: every
source is read once (both sides read from a warm page cache; fincore confirms it), dirty
pages are flushed (sync) so no phase pays for the previous one's writeback, the CPUs are
given a moment to go idle (other processes' CPU use is measured and reported), and a
block of free memory is primed (see prime_memory(): on this kind of VM it otherwise
decides most of the result). Bound and ingest run alternately, --runs times each; every
run is reported, and the headline ratio is best ingest over best bound.

    .venv/bin/python bench/ingest_bench.py [--size-mb 256] [--files 8] [--big-gb 4]
        [--workdir /tmp] [--skip-big] [--keep] [--runs 2]

AVRECORDS_COPY_CHUNK_BYTES, if set, is passed to the ingest (to try chunk sizes).

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import verdict as rows  # noqa: E402
from benchmedia import (  # noqa: E402
    HEIGHT,
    MB,
    MIB,
    SETUP_STATION,
    STATION,
    WIDTH,
    dump_name,
    encode_clip,
    log,
    remux_to_size,
    warm,
)

TARGET_RATIO = 0.9
TARGET_RSS_MB = 200.0
PRIME_BYTES = 16 * 1024**3  # see prime_memory(); capped by MemFree


# --- helpers ----------------------------------------------------------------------------
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
    if "AVRECORDS_COPY_CHUNK_BYTES" in os.environ:  # allowed through for experiments
        env["AVRECORDS_COPY_CHUNK_BYTES"] = os.environ["AVRECORDS_COPY_CHUNK_BYTES"]
    return env


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}… exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc


def cached_fraction(files: list[Path]) -> float | None:
    """Share of the sources' bytes in the page cache, from util-linux fincore (if present)."""
    if not shutil.which("fincore"):
        return None
    proc = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE", *map(str, files)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None
    res = size = 0
    for line in proc.stdout.split("\n"):
        parts = line.split()
        if len(parts) == 2:
            res += int(parts[0])
            size += int(parts[1])
    return res / size if size else None


def settle(seconds: float, quiet_wait: float, threshold: float = 0.25) -> float:
    """Untimed pause before every phase: sync, then wait for other processes to go idle.

    sync first, so no phase pays for the previous one's dirty pages. Returns the cores
    other processes used in the last second of waiting.
    """
    os.sync()
    time.sleep(max(0.0, seconds - 1.0))
    deadline = time.monotonic() + quiet_wait
    while True:
        meter = CpuMeter()
        time.sleep(1.0)
        load = meter.foreign_cores()
        if load < threshold or time.monotonic() >= deadline:
            return load


def mem_free() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemFree:"):
                return int(line.split()[1]) * 1024
    return 0


def prime_memory(nbytes: int) -> int:
    """Touch, then free, anonymous memory right before a phase; returns the bytes primed.

    On a VM with free-page reporting (virtio-balloon), free guest memory is handed back
    to the host within seconds of being freed, and the next write into such a page costs
    a host fault: page-cache writes then run at ~430 MB/s instead of ~5 GB/s, and how much
    still-backed ("hot") memory a phase happened to find (e.g. the copies the previous
    phase just deleted) swung results by 2x. Freeing a large block of just-touched memory
    right before every phase gives each the same start, close to bare metal: reporting
    takes a while to work through it, and the allocator hands out unreported pages first.
    Measured here: after priming 6 GB only the first ~1.3 GB a phase writes was hot; after
    12 GB, all of 2 GB. Capped by MemFree so the sources in page cache are never evicted.
    """
    nbytes = min(nbytes, mem_free() - 2 * 1024**3) // (64 * MIB) * (64 * MIB)
    if nbytes <= 0:
        return 0
    block = bytes(64 * MIB)
    with mmap.mmap(-1, nbytes) as mem:
        for off in range(0, nbytes, len(block)):
            mem[off : off + len(block)] = block
    return nbytes


class CpuMeter:
    """CPU used on this machine by processes other than this benchmark and its children."""

    def __init__(self) -> None:
        self.t0, self.busy0, self.ours0 = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...: count work, not waiting.
        busy = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf(
            "SC_CLK_TCK"
        )
        t = os.times()
        ours = t.user + t.system + t.children_user + t.children_system
        return time.monotonic(), busy, ours

    def foreign_cores(self) -> float:
        """Average number of cores busy with other work since this meter was made."""
        t1, busy1, ours1 = self._sample()
        wall = t1 - self.t0
        return max(0.0, (busy1 - self.busy0) - (ours1 - self.ours0)) / wall if wall > 0 else 0.0


# --- (b) the bound ----------------------------------------------------------------------
BOUND_SH = 'set -o pipefail; tee "$1" < "$2" | openssl dgst -sha256 -r'
BOUND_FSYNC_SH = BOUND_SH + ' && sync "$1"'


def run_bound(files: list[Path], dest_dir: Path, *, fsync: bool) -> tuple[float, dict[str, str]]:
    """Seconds for all files through tee|openssl (optionally + fsync), and their digests."""
    dest_dir.mkdir()
    script = BOUND_FSYNC_SH if fsync else BOUND_SH
    digests: dict[str, str] = {}
    elapsed = 0.0
    for src in files:
        dest = dest_dir / src.name
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["bash", "-c", script, "bound", str(dest), str(src)], capture_output=True, text=True
        )
        elapsed += time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"bound pipeline failed on {src.name}: {proc.stderr}")
        digests[src.name] = proc.stdout.split()[0]
    shutil.rmtree(dest_dir)
    return elapsed, digests


# --- (a) ingest -------------------------------------------------------------------------
def fresh_home(home: Path) -> dict[str, str]:
    env = clean_env(home)
    exe = avrecords_exe()
    run([exe, "init"], env)
    run([exe, "shell", "-c", SETUP_STATION], env)
    return env


# The ingest runs under this tiny launcher, which times it and reads its peak RSS with
# getrusage(RUSAGE_CHILDREN). Asking the kernel from here instead (wait4) would be wrong:
# exec() carries the spawning process's own peak RSS into the child's ru_maxrss, and this
# script holds numpy, PyAV and a 60 MB clip. The launcher is ~10 MB, below any ingest.
LAUNCHER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[2:]).returncode
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": rc, "seconds": seconds, "maxrss": peak}, fh)
"""


class HwmPoller(threading.Thread):
    """Cross-check: polls VmHWM (the kernel's per-image peak RSS) of the process tree."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    kids.extend(int(k) for k in fh.read().split())
        except OSError:
            pass
        return kids

    def run(self) -> None:
        while not self.stop.is_set():
            todo = self._children(self.pid)  # the launcher itself is not measured
            while todo:
                pid = todo.pop()
                todo.extend(self._children(pid))
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        for line in fh:
                            if line.startswith("VmHWM:"):
                                kb = int(line.split()[1])
                                self.peaks[pid] = max(self.peaks.get(pid, 0), kb * 1024)
                except OSError:
                    pass
            self.stop.wait(self.interval)

    @property
    def peak(self) -> int:
        return sum(self.peaks.values())


@dataclass
class IngestRun:
    seconds: float
    report: dict
    maxrss_bytes: int
    hwm_bytes: int


def run_ingest(src_dir: Path, home: Path, env: dict[str, str]) -> IngestRun:
    cmd = [avrecords_exe(), "ingest", str(src_dir), "--station", STATION, "--json"]
    result_file = home / "launcher.json"
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(result_file), *cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(launcher, env=env, stdout=out, stderr=err)
        poller = HwmPoller(proc.pid)
        poller.start()
        proc.wait()
        poller.stop.set()
        poller.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"launcher failed ({proc.returncode}):\n{stderr[-2000:]}")
    timing = json.loads(result_file.read_text())
    if timing["rc"] != 0:
        raise RuntimeError(f"ingest exited {timing['rc']}:\n{stderr[-2000:]}\n{stdout[-2000:]}")
    return IngestRun(timing["seconds"], json.loads(stdout), timing["maxrss"], poller.peak)


def check_report(report: dict, expected: dict[str, int], digests: dict[str, str]) -> None:
    counts = report["counts"]
    if counts["imported"] != len(expected) or sum(counts.values()) != len(expected):
        raise RuntimeError(f"ingest did not import every file: {counts}")
    for item in report["files"]:
        name = Path(item["path"]).name
        if item["size_bytes"] != expected[name]:
            raise RuntimeError(f"{name}: ingest copied {item['size_bytes']} bytes")
        if digests and item["sha256"] != digests[name]:
            raise RuntimeError(f"{name}: ingest sha256 differs from openssl's")


# --- main -------------------------------------------------------------------------------
def plan_sizes(args, free: int) -> tuple[int, int]:
    """Per-file and big-file sizes in bytes, scaled down if the disk is short."""
    small = args.size_mb * MIB
    big = 0 if args.skip_big else int(args.big_gb * 1024**3)
    margin = 2 * 1024**3 + 64 * MIB
    # Peak use: all sources + one phase's copies (bound dest or a store) + the clip.
    need = args.files * small + big + max(args.files * small, big) + margin
    if need <= free:
        return small, big
    scale = (free - margin) / (need - margin) if free > margin else 0
    new_small, new_big = int(small * scale) // MIB * MIB, int(big * scale) // MIB * MIB
    log(
        f"!! Only {free / 1024**3:.1f} GiB free under the work dir, "
        f"{need / 1024**3:.1f} GiB wanted: scaling sizes down by {scale:.2f} to "
        f"{new_small // MIB} MiB per file and {new_big / 1024**3:.2f} GiB for the big file."
    )
    if new_small < 16 * MIB:
        raise SystemExit("not enough free disk for a meaningful benchmark (need > 16 MiB/file)")
    return new_small, new_big


def fmt_mb(nbytes: float) -> str:
    return f"{nbytes / MB:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=256, help="size of each file, MiB")
    ap.add_argument("--files", type=int, default=8, help="number of files for throughput")
    ap.add_argument("--big-gb", type=float, default=4.0, help="size of the RSS file, GiB")
    ap.add_argument("--workdir", default=tempfile.gettempdir(), help="where data is generated")
    ap.add_argument("--skip-big", action="store_true", help="skip the big-file RSS figure")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--runs", type=int, default=2, help="alternating bound/ingest rounds")
    ap.add_argument(
        "--settle-seconds",
        type=float,
        default=3.0,
        help="untimed pause (after sync) before each phase",
    )
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each phase, wait up to this many seconds for other processes to go idle",
    )
    args = ap.parse_args()

    base = Path(args.workdir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="avrecords-bench-", dir=base))
    try:
        return bench(args, work)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(args, work: Path) -> int:
    small, big = plan_sizes(args, shutil.disk_usage(work).free)
    if big == 0 and not args.skip_big:
        args.skip_big = True
    log(f"work dir {work} (filesystem of sources, bound copies and stores)")

    t0 = time.perf_counter()
    clip = encode_clip(work / "clip.mp4")
    clip_mb = sum(len(p[0]) for p in clip.packets) / MB
    log(
        f"encoded {len(clip.packets)}-frame {WIDTH}x{HEIGHT} noise clip "
        f"({clip_mb:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )
    dump = work / "dump" / "DCIM"
    dump.mkdir(parents=True)
    files = []
    t0 = time.perf_counter()
    for i in range(args.files):
        path = dump / dump_name(i)
        remux_to_size(clip, path, small, f"file {i}")
        files.append(path)
    sizes = {f.name: f.stat().st_size for f in files}
    total = sum(sizes.values())
    log(
        f"muxed {len(files)} files, {fmt_mb(total)} MB in {time.perf_counter() - t0:.1f} s "
        f"({min(sizes.values()) / MIB:.0f}-{max(sizes.values()) / MIB:.0f} MiB each)"
    )
    big_file = None
    if not args.skip_big:
        big_dir = work / "big" / "DCIM"
        big_dir.mkdir(parents=True)
        big_file = big_dir / "3501002_350212_20261120100000_0001.MP4"
        t0 = time.perf_counter()
        remux_to_size(clip, big_file, big, "big")
        log(
            f"muxed big file, {fmt_mb(big_file.stat().st_size)} MB "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    os.sync()

    rounds = []
    for r in range(1, args.runs + 1):
        row = {}
        for phase in ("bound", "ingest", "bound_fsync"):
            home = work / f"home-{r}"
            env = fresh_home(home) if phase == "ingest" else None
            warm(files)
            cached = cached_fraction(files)
            quiet_before = settle(args.settle_seconds, args.quiet_wait)
            primed = prime_memory(PRIME_BYTES)
            meter = CpuMeter()
            if phase == "ingest":
                res = run_ingest(dump.parent, home, env)
                row["foreign_ingest"] = meter.foreign_cores()
                check_report(res.report, sizes, rounds[0]["digests"] if rounds else row["digests"])
                row["ingest_s"] = res.seconds
                row["ingest_internal_s"] = res.report["seconds"]
                shutil.rmtree(home)
            else:
                secs, digests = run_bound(files, work / f"bound-{r}", fsync=phase != "bound")
                row[f"foreign_{phase}"] = meter.foreign_cores()
                row[f"{phase}_s"] = secs
                row.setdefault("digests", digests)
                if digests != row["digests"]:
                    raise RuntimeError("tee|openssl digests differ between runs")
            log(
                f"round {r} {phase:<11} {row[f'{phase}_s']:7.2f} s  "
                f"{total / row[f'{phase}_s'] / MB:7.1f} MB/s   "
                + (f"sources {cached:.0%} in page cache; " if cached is not None else "")
                + f"{primed / 1024**3:.0f} GiB primed; "
                + f"other processes used {quiet_before:.2f} cores before, "
                f"{row[f'foreign_{phase}']:.2f} during"
            )
        rounds.append(row)

    big_run = None
    if big_file is not None:
        env = fresh_home(work / "home-big")
        warm([big_file])
        settle(args.settle_seconds, args.quiet_wait)
        prime_memory(PRIME_BYTES)
        big_run = run_ingest(big_file.parent.parent, work / "home-big", env)
        check_report(big_run.report, {big_file.name: big_file.stat().st_size}, {})
        shutil.rmtree(work / "home-big")

    report(args, rounds, total, len(files), big_file, big_run)
    return 0


def report(args, rounds, total, nfiles, big_file, big_run) -> None:
    log("")
    log(f"=== AVRecords ingest benchmark: {nfiles} files, {fmt_mb(total)} MB, same filesystem ===")
    hdr = f"{'':<36}" + "".join(f"{'run ' + str(i + 1):>13}" for i in range(len(rounds)))
    log(hdr + f"{'best':>10}")

    def line(label, values, best):
        log(f"{label:<36}" + "".join(f"{v:>13}" for v in values) + f"{best:>10}")

    def rate(key):
        vals = [total / r[key] / MB for r in rounds]
        return vals, max(vals)

    ing, ing_best = rate("ingest_s")
    ing_int = [total / r["ingest_internal_s"] / MB for r in rounds]
    bnd, bnd_best = rate("bound_s")
    fs, fs_best = rate("bound_fsync_s")
    ratios = [i / b for i, b in zip(ing, bnd, strict=True)]
    ratio_best = ing_best / bnd_best
    line("ingest MB/s (CLI wall time)", [f"{v:.1f}" for v in ing], f"{ing_best:.1f}")
    line("  ingest MB/s (its own --json)", [f"{v:.1f}" for v in ing_int], f"{max(ing_int):.1f}")
    line(
        "  CLI start-up + exit, s",
        [f"{r['ingest_s'] - r['ingest_internal_s']:.2f}" for r in rounds],
        "",
    )
    line("bound MB/s (tee | openssl)", [f"{v:.1f}" for v in bnd], f"{bnd_best:.1f}")
    line("ratio ingest / bound", [f"{v:.2f}" for v in ratios], f"{ratio_best:.2f}")
    line(
        "  ratio, ingest minus CLI start-up",
        [f"{i / b:.2f}" for i, b in zip(ing_int, bnd, strict=True)],
        f"{max(ing_int) / bnd_best:.2f}",
    )
    line("bound+fsync MB/s (tee; sync F)", [f"{v:.1f}" for v in fs], f"{fs_best:.1f}")
    fs_ratios = [i / b for i, b in zip(ing, fs, strict=True)]
    line(
        "  ratio ingest / bound+fsync", [f"{v:.2f}" for v in fs_ratios], f"{ing_best / fs_best:.2f}"
    )
    line(
        "other CPU, cores (bnd/ing/fsync)",
        [
            f"{r['foreign_bound']:.1f}/{r['foreign_ingest']:.1f}/{r['foreign_bound_fsync']:.1f}"
            for r in rounds
        ],
        "",
    )
    log("")
    verdict = "PASS" if ratio_best >= TARGET_RATIO else "FAIL"
    log(f"ratio (best ingest / best bound) {ratio_best:.2f}  target >= {TARGET_RATIO}  {verdict}")
    runs = f"best/best; {len(rounds)} rounds, {nfiles} files, {fmt_mb(total)} MB"
    rows.at_least("ingest vs tee | openssl, same fsync", ing_best / fs_best, 0.9, note=runs)
    rows.at_least(
        "ingest vs tee | openssl, bound without fsync", ratio_best, TARGET_RATIO, note=runs
    )
    busiest = max(
        max(r["foreign_bound"], r["foreign_ingest"], r["foreign_bound_fsync"]) for r in rounds
    )
    if busiest > 0.25:
        log(
            f"!! other processes kept up to {busiest:.1f} of {os.cpu_count()} cores busy during "
            "a measured phase: the figures are noisy; compare runs, or re-run when idle."
        )
    if big_run is not None:
        peak = max(big_run.maxrss_bytes, big_run.hwm_bytes) / MB
        verdict = "PASS" if peak < TARGET_RSS_MB else "FAIL"
        size = big_file.stat().st_size
        log(
            f"peak RSS ingesting {size / 1024**3:.2f} GiB file  {peak:.1f} MB  "
            f"target < {TARGET_RSS_MB:.0f} MB  {verdict}   "
            f"(getrusage ru_maxrss {big_run.maxrss_bytes / MB:.1f} MB, "
            f"polled VmHWM {big_run.hwm_bytes / MB:.1f} MB; "
            f"{size / big_run.seconds / MB:.1f} MB/s)"
        )
        rows.at_most(
            f"ingest peak RSS, {size / 1024**3:.0f} GiB file", peak, TARGET_RSS_MB, unit="MB"
        )
    else:
        log("peak RSS for the big file: skipped (--skip-big)")
        rows.report(
            "ingest peak RSS, big file", None, f"< {TARGET_RSS_MB:.0f} MB", False, "skipped"
        )
    log(
        "notes: ingest fsyncs each file, the headline bound does not; the bound+fsync line "
        "shows the price of durability. Before every phase (untimed): sources re-read, "
        "sync, wait for idle CPUs, and the same block of host-backed free memory primed."
    )


if __name__ == "__main__":
    sys.exit(main())
