"""Evidence-export throughput and memory against the physical bound on the same data (M6, M7).

One run: write --files originals of --size-mb random bytes each (incompressible, like
video) into a work directory, then alternate, --runs times, on a warm page cache:

  (a) bound-bag  the slower of `openssl dgst -sha256` over the originals (hashing alone) and
                 `cat` of them into one file (copying alone, with the kernel's copy path): a
                 copy that hashes as it goes, perfectly pipelined, cannot beat either;
  (b) bag        `evidence.bag.build_bag` (copy while hashing, manifest from the same pass,
                 tag files, rename into place);
  (c) bound-iso  `cat` of every bag file into one image-sized file (one read, one write);
                 the image adds directory records and padding, nothing more;
  (d) iso        `evidence.iso.build_iso` over the bag (UDF + Joliet + Rock Ridge).

Prints each phase's best time, MB/s and the ratios bag/bound-bag and iso/bound-iso (1.0 =
as fast as the bound; lower is slower), and the peak RSS growth of the process while
building (must stay a few MB whatever the size: nothing is held in memory). Files are fsynced
by neither side; both write into the page cache.

    .venv/bin/python bench/export_bench.py [--size-mb 512] [--files 4] [--runs 2]
        [--workdir /tmp] [--keep]

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
os.environ.setdefault("AVRECORDS_HOME", tempfile.mkdtemp(prefix="avrecords-bench-"))

from avrecords.evidence.bag import build_bag  # noqa: E402
from avrecords.evidence.iso import build_iso  # noqa: E402
from avrecords.evidence.items import Item, PackageInfo  # noqa: E402

CHUNK = 1 << 20


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
    for path in paths:
        with open(path, "rb") as f:
            while f.read(8 * CHUNK):
                pass


def sh(command: str) -> None:
    subprocess.run(command, shell=True, executable="/bin/bash", check=True)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_run(
    out: Path, originals: Path, items: list[Item], info: PackageInfo
) -> tuple[dict[str, float], int]:
    """One round of the four phases in `out`; (seconds per phase, peak RSS growth)."""
    out.mkdir()
    sources = [originals / item.name for item in items]
    times: dict[str, float] = {}
    warm(sources)
    (out / "bound").mkdir()
    names = " ".join(f"'{src}'" for src in sources)
    hashing = timed(lambda: sh(f"openssl dgst -sha256 {names} > /dev/null"))
    warm(sources)
    start = time.perf_counter()
    sh(f"cat {names} > '{out / 'bound' / 'all'}'")
    copying = time.perf_counter() - start
    times["bound-bag"] = max(hashing, copying)  # perfectly pipelined: the slower of the two
    shutil.rmtree(out / "bound")
    warm(sources)
    with PeakRss() as rss:
        times["bag"] = timed(lambda: build_bag(out / "bag", items, info, None))
    grew = rss.peak - rss.before
    bag_files = [p for p in (out / "bag").rglob("*") if p.is_file()]
    warm(bag_files)
    start = time.perf_counter()
    sh("cat " + " ".join(f"'{p}'" for p in bag_files) + f" > '{out / 'bound.img'}'")
    times["bound-iso"] = time.perf_counter() - start
    (out / "bound.img").unlink()
    warm(bag_files)
    with PeakRss() as rss:
        times["iso"] = timed(
            lambda: build_iso(out / "bag", out / "disc.iso", volume_id="ZJ_2026_0001")
        )
    grew = max(grew, rss.peak - rss.before)
    shutil.rmtree(out)
    return times, grew


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=512)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--runs", type=int, default=2)
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
        peak = 0
        for run in range(args.runs):
            times, grew = one_run(work / f"run{run}", work / "originals", items, info)
            for name, seconds in times.items():
                best[name] = min(best.get(name, 1e9), seconds)
            peak = max(peak, grew)
        mb = total / 1e6
        print(
            f"data: {args.files} files × {args.size_mb} MiB = {mb:,.0f} MB; best of {args.runs} runs"
        )
        for name in ("bound-bag", "bag", "bound-iso", "iso"):
            print(f"  {name:10s} {best[name]:7.2f} s  {mb / best[name]:8.1f} MB/s")
        print(f"ratio bag/bound-bag: {best['bound-bag'] / best['bag']:.2f}  (1.0 = at the bound)")
        print(f"ratio iso/bound-iso: {best['bound-iso'] / best['iso']:.2f}")
        print(f"peak RSS growth while building: {peak / 2**20:.1f} MiB")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
