"""Evidence-export throughput and memory against the physical bound on the same data (M6, M7).

One run: write --files originals of --size-mb random bytes each (incompressible, like
video) into a work directory, then alternate, --runs times, on a warm page cache:

  (a) bound-bag  the slower of `openssl dgst -sha256` over the originals (hashing alone) and
                 `cat` of them into one file (copying alone, with the kernel's copy path): a
                 copy that hashes as it goes, perfectly pipelined, cannot beat either;
  (b) bag        `evidence.bag.build_bag` (copy while hashing, manifest from the same pass,
                 tag files, rename into place);
  (c) bound-zip  `cat` of every bag file into one file (one read, one write): a stored zip
                 adds headers and a CRC-32 that can be computed on the other core;
  (d) zip        `evidence.archive.zip_bag` of the bag (what the export serves as 证据包);
  (e) bound-iso  the same `cat`, measured again beside the image;
                 the image adds directory records and padding, nothing more;
  (f) iso        `evidence.iso.build_iso` over the bag (UDF + Joliet + Rock Ridge).

Within each pair the bound goes first in odd runs and our phase first in even runs, so that
neither always inherits what the phase before it left behind (see below).

Prints each phase's best time, MB/s and the ratios bag/bound-bag, zip/bound-zip and
iso/bound-iso (1.0 = as fast as the bound; lower is slower), best against best and the median
of each run's own ratio, and the peak RSS growth of the process while building (must stay a
few MB whatever the size: nothing is held in memory). Files are fsynced by neither side;
both write into the page cache; before every phase its inputs are read into the cache and
`sync` writes out what the phase before left dirty, outside the timing. Each run also prints
every phase's CPU seconds (process and children): on a loaded machine the wall ratio moves
with the load, the CPU seconds much less. Each figure is also a verdict row (bench/verdict.py):
bag, zip and ISO >= 0.8 of their bound (issue 22 §2), peak RSS growth <= 64 MiB.

On this VM a phase's system CPU sometimes jumps four- to fivefold (2 GB copied in 1 s of
kernel time one phase, 5-7 s the next), for `cat` exactly as for the image (the same `cat`
repeated: 0.7-5.6 s system time, 2.7-23 s wall). perf puts the extra time in the kernel's
memcpy into new page-cache pages: the guest hands freed memory back to the host (free page
reporting, /sys/module/page_reporting, gigabytes per minute here), and the first write to
such a page faults in the host, which the guest counts as the copy's own time. That explains
outliers, not everything: in this benchmark's sequence the image's copy_file_range calls
also took 4-5 s of CPU against cat's 1 s at load 3-6 (cProfile: all of it inside those
calls), while the same build_iso beside a plain copy_file_range loop of the same files, in
one process, cost the same as the loop; unexplained as yet. The run line prints each phase's
CPU seconds and the MiB the guest reported in it, to tell the two apart.

    .venv/bin/python bench/export_bench.py [--size-mb 512] [--files 4] [--runs 3]
        [--workdir /tmp] [--keep]

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
os.environ.setdefault("AVRECORDS_HOME", tempfile.mkdtemp(prefix="avrecords-bench-"))

from verdict import at_least, at_most  # noqa: E402

from avrecords.evidence.archive import zip_bag  # noqa: E402
from avrecords.evidence.bag import build_bag  # noqa: E402
from avrecords.evidence.iso import build_iso  # noqa: E402
from avrecords.evidence.items import Item, PackageInfo  # noqa: E402

CHUNK = 1 << 20
RATIO_TARGET = 0.8  # issue 22 §2: bag, zip and image at >= 0.8 of their bound
RSS_GROWTH_TARGET_MIB = 64
PAIRS = (("bag", "bound-bag"), ("zip", "bound-zip"), ("iso", "bound-iso"))
REPORTED_KIB = Path("/sys/module/page_reporting/parameters/reported_kib")


class PeakRss:
    def __init__(self) -> None:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def make_originals(root: Path, files: int, size_mb: int) -> list[Item]:
    root.mkdir(parents=True)
    items = []
    for n in range(1, files + 1):
        path = root / f"{n:03d}_张伟_3501001_350211_2026112010{n:02d}00_{n:04d}.MP4"
        digest = hashlib.sha256()
        with path.open("wb") as out:
            for _ in range(size_mb):
                block = os.urandom(CHUNK)
                digest.update(block)
                out.write(block)
        items.append(
            Item(path.name, path.stat().st_size, digest.hexdigest(), lambda p=path: p.open("rb"))
        )
    return items


def warm(paths) -> None:
    """Read `paths` into the page cache, then write every dirty page out (sync), so each
    phase starts alike: sources cached, no other phase's writeback pending (on this VM
    the disk's writeback of 2 GB left dirty by the phase before otherwise throttles
    whichever phase comes next)."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(8 * CHUNK):
                pass
    os.sync()


def sh(command: str) -> None:
    subprocess.run(command, shell=True, executable="/bin/bash", check=True)


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reported_kib() -> int | None:
    """KiB of free memory this guest has handed back to its host so far (free page
    reporting), or None where the kernel does not say."""
    try:
        return int(REPORTED_KIB.read_text())
    except (OSError, ValueError):
        return None


class Phases:
    """Wall time, CPU time and memory reported to the host in each phase of one run, with
    the peak RSS growth."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.reported_mib: dict[str, float] = {}
        self.grew = 0

    def run(self, name: str, fn, *, sources, watch_rss: bool = False) -> float:
        warm(sources)
        cpu = cpu_seconds()
        reported = reported_kib()
        with PeakRss() as rss:
            start = time.perf_counter()
            fn()
            seconds = time.perf_counter() - start
        self.cpu[name] = cpu_seconds() - cpu
        after = reported_kib()
        if reported is not None and after is not None:
            self.reported_mib[name] = (after - reported) / 1024
        if watch_rss:
            self.grew = max(self.grew, rss.peak - rss.before)
        self.times[name] = seconds
        return seconds

    def line(self, name: str) -> str:
        reported = self.reported_mib.get(name)
        extra = f"/{reported:.0f}" if reported is not None else ""
        return f"{name} {self.times[name]:.2f}/{self.cpu[name]:.2f}{extra}"


def in_turn(ours_first: bool, *phases) -> None:
    """Run a bound and our phase (callables), ours first when asked."""
    for phase in reversed(phases) if ours_first else phases:
        phase()


def one_run(
    out: Path, originals: Path, items: list[Item], info: PackageInfo, ours_first: bool
) -> Phases:
    """One round of the phases in `out`, each bound just before (or, ours_first, just after)
    its own measure."""
    out.mkdir()
    sources = [originals / item.name for item in items]
    names = " ".join(f"'{src}'" for src in sources)
    phases = Phases()

    def bound_bag() -> None:
        (out / "bound").mkdir()
        hashing = phases.run(
            "openssl", lambda: sh(f"openssl dgst -sha256 {names} > /dev/null"), sources=sources
        )
        copying = phases.run(
            "cat", lambda: sh(f"cat {names} > '{out / 'bound' / 'all'}'"), sources=sources
        )
        # perfectly pipelined on two cores: the slower of the two
        phases.times["bound-bag"] = max(hashing, copying)
        phases.cpu["bound-bag"] = phases.cpu.pop("openssl") + phases.cpu.pop("cat")
        if "cat" in phases.reported_mib:
            phases.reported_mib["bound-bag"] = phases.reported_mib.pop(
                "openssl"
            ) + phases.reported_mib.pop("cat")
        del phases.times["openssl"], phases.times["cat"]
        shutil.rmtree(out / "bound")

    def bag() -> None:
        phases.run(
            "bag",
            lambda: build_bag(out / "bag", items, info, None),
            sources=sources,
            watch_rss=True,
        )

    in_turn(ours_first, bound_bag, bag)
    bag_files = [p for p in (out / "bag").rglob("*") if p.is_file()]
    cat_bag = "cat " + " ".join(f"'{p}'" for p in bag_files) + f" > '{out / 'bound.img'}'"

    def bound(name: str):
        def measure() -> None:
            phases.run(name, lambda: sh(cat_bag), sources=bag_files)
            (out / "bound.img").unlink()

        return measure

    def zip_() -> None:
        phases.run(
            "zip", lambda: zip_bag(out / "bag", out / "bag.zip"), sources=bag_files, watch_rss=True
        )
        (out / "bag.zip").unlink()

    def iso() -> None:
        phases.run(
            "iso",
            lambda: build_iso(out / "bag", out / "disc.iso", volume_id="ZJ_2026_0001"),
            sources=bag_files,
            watch_rss=True,
        )
        (out / "disc.iso").unlink()

    in_turn(ours_first, bound("bound-zip"), zip_)
    in_turn(ours_first, bound("bound-iso"), iso)
    shutil.rmtree(out)
    return phases


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=512)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="export-bench-", dir=args.workdir))
    try:
        items = make_originals(work / "originals", args.files, args.size_mb)
        total = sum(i.size for i in items)
        info = PackageInfo(
            number="ZJ-2026-0001",
            agency="福州市城市管理委员会",
            unit="执法一中队",
            case_number="榕城管罚〔2026〕1号",
            case_title="占道经营案",
            activity="",
            maker="林海",
            extractor="张伟",
            extracted_at=datetime.now().astimezone(),
            place="执法一中队办公室",
            purpose="作为证据使用",
            approvers=["陈刚"],
        )
        best: dict[str, float] = {}
        ratios: dict[str, list[float]] = {ours: [] for ours, _bound in PAIRS}
        peak = 0
        for run in range(args.runs):
            ours_first = run % 2 == 1
            phases = one_run(work / f"run{run}", work / "originals", items, info, ours_first)
            for name, seconds in phases.times.items():
                best[name] = min(best.get(name, 1e9), seconds)
            for ours, bound in PAIRS:
                ratios[ours].append(phases.times[bound] / phases.times[ours])
            peak = max(peak, phases.grew)
            shown = "wall s / CPU s" + (
                " / MiB reported to the host" if phases.reported_mib else ""
            )
            print(
                f"run {run + 1} ({shown}, {'ours' if ours_first else 'bound'} first, "
                f"load {os.getloadavg()[0]:.1f}): "
                + "  ".join(phases.line(name) for name in phases.times),
                flush=True,
            )
        mb = total / 1e6
        print(
            f"data: {args.files} files × {args.size_mb} MiB = {mb:,.0f} MB; best of {args.runs} runs"
        )
        for name in ("bound-bag", "bag", "bound-zip", "zip", "bound-iso", "iso"):
            print(f"  {name:10s} {best[name]:7.2f} s  {mb / best[name]:8.1f} MB/s")
        load = os.getloadavg()[0]
        for ours, bound in PAIRS:
            ratio = best[bound] / best[ours]
            median = statistics.median(ratios[ours])
            print(
                f"ratio {ours}/{bound}: {ratio:.2f} best against best, {median:.2f} median "
                "of the runs' own ratios  (1.0 = at the bound)"
            )
            what = {"bag": "evidence bag vs two-core bound", "zip": "evidence zip vs cat bound"}
            at_least(
                what.get(ours, "evidence ISO vs cat bound"),
                ratio,
                RATIO_TARGET,
                note=f"best vs best of {args.runs} runs, median {median:.2f}, load {load:.1f}",
            )
        print(f"peak RSS growth while building: {peak / 2**20:.1f} MiB")
        at_most(
            "evidence export peak RSS growth while building",
            peak / 2**20,
            RSS_GROWTH_TARGET_MIB,
            unit="MiB",
            note=f"{args.files} × {args.size_mb} MiB",
        )
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
