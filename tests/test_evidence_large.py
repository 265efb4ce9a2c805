"""M6/M7 with an original larger than 4 GiB: bag and disc image stream it, and it reads back
byte-identical from the image, in small memory.

The original is a sparse file of 4 GiB + 1 MiB with random bytes at the start, across the
4 GiB mark (where ISO9660's first 0xFFFFF800-byte section ends) and at the end. The bag and
the image hold real copies, so the test writes about 8.6 GB in tmp_path (removed
at the end). The UDF tree is read back and hashed; the other three trees are shown to name
the very same byte runs of the image, which spares three more 4 GiB passes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pycdlib
import pytest

from avrecords.evidence import bag as bags
from avrecords.evidence import iso as images
from avrecords.evidence.items import Item, PackageInfo
from avrecords.lib import copying

GIB = 1024**3
MIB = 1024**2
BIG_SIZE = 4 * GIB + MIB
NEEDED_DISK_BYTES = 2 * BIG_SIZE + GIB
MAX_TRACED_PEAK_BYTES = 64 * MIB
MAX_RSS_GROWTH_BYTES = 200 * MIB
NAME = "执法记录_张伟_20261120093000_现场检查全程.mp4"


def make_sparse_original(path: Path) -> str:
    """The file, and its SHA-256 computed from what was written (holes read as zeros), so
    making it costs one pass of hashing and no pass of reading."""
    zeros = memoryview(bytes(4 * MIB))
    digest = hashlib.sha256()
    position = 0
    with open(path, "wb") as fh:
        fh.truncate(BIG_SIZE)
        for offset in (0, 0xFFFFF800 - 32 * 1024, 4 * GIB + 32 * 1024, BIG_SIZE - 64 * 1024):
            while position < offset:
                step = min(len(zeros), offset - position)
                digest.update(zeros[:step])
                position += step
            block = os.urandom(64 * 1024)
            fh.seek(offset)
            fh.write(block)
            digest.update(block)
            position += len(block)
    assert position == BIG_SIZE
    return digest.hexdigest()


class PeakRss:
    """The largest resident set size seen while running, sampled every 20 ms."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self.before = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.before


def merged(extents: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Byte runs with adjacent ones joined, to compare how two trees place one file."""
    runs: list[list[int]] = []
    for offset, length in extents:
        if runs and runs[-1][0] + runs[-1][1] == offset:
            runs[-1][1] += length
        else:
            runs.append([offset, length])
    return [(offset, length) for offset, length in runs]


@pytest.fixture
def workdir(tmp_path):
    """Gigabytes are not left for pytest's retention of old tmp_paths."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_an_original_over_4_gib_goes_through_bag_and_disc_byte_identical(workdir):
    tmp_path = workdir
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # No database here: `make test` runs it once, in the SQLite pass, not twice at once
        pytest.skip("database-independent; runs in the SQLite pass")
    if shutil.disk_usage(tmp_path).free < NEEDED_DISK_BYTES:
        pytest.skip("needs about 10 GB of free disk for the bag and the image")
    source = tmp_path / "store" / "original.mp4"
    source.parent.mkdir()
    sha256 = make_sparse_original(source)
    item = Item(NAME, BIG_SIZE, sha256, lambda: open(source, "rb"))
    info = PackageInfo(
        number="ZJ-2026-0008",
        agency="桐柏县市场监督管理局",
        unit="城区市场监管所",
        case_number="",
        case_title="",
        activity="节前食品专项检查",
        maker="林海",
        extractor="赵敏",
        extracted_at=datetime(2026, 11, 21, 15, 4, tzinfo=ZoneInfo("Asia/Shanghai")),
        place="局执法音像记录管理室",
        purpose="长期保存",
    )

    tracemalloc.start()
    started = time.monotonic()
    bag_progress: list[tuple[int, int]] = []
    with PeakRss() as rss:
        dest = bags.build_bag(
            tmp_path / "bag", [item], info, None, lambda d, t: bag_progress.append((d, t))
        )
        bagged = time.monotonic()
        iso = images.build_iso(dest, tmp_path / "ZJ-2026-0008.iso", info.number)
        imaged = time.monotonic()
        udf = images.read_back(iso)
        read = time.monotonic()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n4 GiB + 1 MiB original: bag {bagged - started:.1f} s, image {imaged - bagged:.1f} s, "
        f"UDF read-back {read - imaged:.1f} s; Python peak {traced_peak / MIB:.1f} MiB, "
        f"RSS growth {rss.growth / MIB:.1f} MiB"
    )

    assert (dest / "data" / NAME).stat().st_size == BIG_SIZE
    manifest = (dest / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert manifest == f"{sha256}  data/{NAME}\n"
    assert bag_progress[-1] == (BIG_SIZE, BIG_SIZE)
    assert len(bag_progress) >= BIG_SIZE // copying.COPY_CHUNK_BYTES  # after every chunk
    assert udf[f"data/{NAME}"] == sha256
    for tag_file in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"):
        assert udf[tag_file] == hashlib.sha256((dest / tag_file).read_bytes()).hexdigest()
    assert iso.stat().st_size > BIG_SIZE
    assert traced_peak < MAX_TRACED_PEAK_BYTES
    assert rss.growth < MAX_RSS_GROWTH_BYTES

    # Rock Ridge, Joliet and ISO9660 name the very bytes UDF read back: the same runs of the
    # image, whatever the sections each tree cuts the file into.
    image = pycdlib.PyCdlib()
    image.open(str(iso))
    try:
        udf_runs = merged(image.get_file_byte_extents(udf_path=f"/data/{NAME}"))
        iso_records = image.get_file_byte_extents(iso_path="/D0001/F0005.MP4;1")
        joliet_runs = merged(image.get_file_byte_extents(joliet_path=f"/data/{NAME}"))
        rr_record = image.get_record(rr_path=f"/data/{NAME}")
        rr_runs = merged(
            image.get_file_byte_extents(iso_path=image.full_path_from_dirrecord(rr_record))
        )
    finally:
        image.close()
    assert sum(length for _, length in udf_runs) == BIG_SIZE
    assert len(iso_records) == 2  # a multi-extent file: 0xFFFFF800 bytes, then the rest
    assert merged(iso_records) == udf_runs
    assert joliet_runs == udf_runs
    assert rr_runs == udf_runs
