"""M6/M7 evidence packages copied by the kernel while another thread checks the copy
(lib.copying, issue 22 §2): the bag, the zip and the disc image hold byte-identical copies
whatever the sizes (larger than a copy chunk, odd, empty), the manifest and CRCs are those of
the copies, a corrupted original still stops the export leaving nothing, and a file system
that refuses copy_file_range gets the same result through Python.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import threading
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from avrecords.evidence import archive
from avrecords.evidence import bag as bags
from avrecords.evidence import iso as images
from avrecords.evidence.items import Item, PackageInfo, TamperedOriginal
from avrecords.lib import copying

SIZES = [
    2 * copying.COPY_CHUNK_BYTES + 12_345,  # several copy chunks and a ragged end
    copying.HASH_CHUNK_BYTES + 1,
    4097,
    3,
    1,
    0,
]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def originals(tmp_path) -> list[Item]:
    store = tmp_path / "store"
    store.mkdir()
    items = []
    for n, size in enumerate(SIZES, start=1):
        path = store / f"{n:03d}_张伟_执法记录_{size}.mp4"
        path.write_bytes(os.urandom(size))
        items.append(Item(path.name, size, sha256_of(path), lambda path=path: open(path, "rb")))
    return items


@pytest.fixture
def info() -> PackageInfo:
    return PackageInfo(
        number="ZJ-2026-0042",
        agency="桐柏县市场监督管理局",
        unit="城区市场监管所",
        case_number="桐市监罚〔2026〕42号",
        case_title="销售过期食品案",
        activity="",
        maker="林海",
        extractor="赵敏",
        extracted_at=datetime(2026, 11, 21, 15, 4, tzinfo=ZoneInfo("Asia/Shanghai")),
        place="局执法音像记录管理室",
        purpose="作为证据使用",
    )


def refuse_kernel_copy(monkeypatch) -> list[int]:
    """copy_file_range refused as on a file system without it; returns the refusal count."""
    refused = []

    def refuse(*args, **kwargs):
        refused.append(1)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(copying.os, "copy_file_range", refuse)
    return refused


def assert_bag_holds(dest: Path, items: list[Item]) -> None:
    manifest = {
        line.split("  ", 1)[1]: line.split("  ", 1)[0]
        for line in (dest / bags.MANIFEST).read_text(encoding="utf-8").splitlines()
    }
    assert manifest == {f"data/{item.name}": item.sha256 for item in items}
    for item in items:
        with item.open() as src:
            assert (dest / "data" / item.name).read_bytes() == src.read()
    assert bags.verify_bag(dest) == []


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "store")


def test_it_copies_large_and_odd_sized_originals_byte_identical_with_a_correct_manifest(
    tmp_path, originals, info
):
    done = []
    dest = bags.build_bag(
        tmp_path / "bag", originals, info, None, progress=lambda d, t: done.append((d, t))
    )
    assert_bag_holds(dest, originals)
    assert done[-1] == (sum(SIZES), sum(SIZES))
    assert [d for d, _t in done] == sorted(d for d, _t in done)


def test_a_file_system_without_kernel_copy_gets_the_same_bag_through_python(
    tmp_path, originals, info, monkeypatch
):
    refused = refuse_kernel_copy(monkeypatch)
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    assert refused  # the fallback was taken, not the kernel path
    assert_bag_holds(dest, originals)


def test_a_stream_without_a_file_is_copied_through_python(tmp_path):
    data = os.urandom(copying.COPY_CHUNK_BYTES + 77)
    size, digest = copying.copy_to_new_file(io.BytesIO(data), tmp_path / "copy")
    assert size == len(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "copy").read_bytes() == data


def test_a_corruption_past_the_first_chunk_stops_the_export_and_leaves_nothing(
    tmp_path, originals, info
):
    with originals[0].open() as fh:
        path = Path(fh.name)
    with open(path, "r+b") as fh:
        fh.seek(copying.COPY_CHUNK_BYTES + 5)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(TamperedOriginal) as caught:
        bags.build_bag(tmp_path / "bag", originals, info, None)
    assert caught.value.name == originals[0].name
    assert caught.value.actual == sha256_of(path)
    assert str(caught.value).startswith(f"原始文件“{originals[0].name}”与入库时记录的哈希值不一致")
    assert leftovers(tmp_path) == []


def test_a_read_error_mid_copy_stops_the_export_the_checking_thread_and_leaves_nothing(
    tmp_path, originals, info, monkeypatch
):
    real = os.copy_file_range
    calls = []

    def fail_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(*args, **kwargs)

    monkeypatch.setattr(copying.os, "copy_file_range", fail_second_chunk)
    threads = threading.active_count()
    with pytest.raises(OSError, match="Input/output error"):
        bags.build_bag(tmp_path / "bag", originals, info, None)
    assert threading.active_count() == threads
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("zip64", [False, True], ids=["zip32", "forced-zip64"])
def test_the_zip_holds_every_file_byte_identical_under_its_utf8_name(
    tmp_path, originals, info, monkeypatch, zip64
):
    if zip64:  # the records a 4 GiB recording needs, on small files
        monkeypatch.setattr(archive, "ZIP64_FROM_BYTES", 0)
    dest = bags.build_bag(tmp_path / info.number, originals, info, None)
    (tmp_path / "out").mkdir()
    target = archive.zip_bag(dest, tmp_path / "out" / "package.zip")
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None  # every CRC-32 checks
        files = sorted(p for p in dest.rglob("*") if p.is_file())
        assert zf.namelist() == [f"{info.number}/{p.relative_to(dest).as_posix()}" for p in files]
        for path in files:
            name = f"{info.number}/{path.relative_to(dest).as_posix()}"
            assert zf.read(name) == path.read_bytes()
            assert zf.getinfo(name).flag_bits & 0x800  # names are UTF-8
    assert sorted(p.name for p in target.parent.iterdir()) == ["package.zip"]


def test_the_zip_is_the_same_through_python_when_kernel_copy_is_refused(
    tmp_path, originals, info, monkeypatch
):
    dest = bags.build_bag(tmp_path / info.number, originals, info, None)
    kernel = archive.zip_bag(dest, tmp_path / "kernel.zip").read_bytes()
    refused = refuse_kernel_copy(monkeypatch)
    python = archive.zip_bag(dest, tmp_path / "python.zip").read_bytes()
    assert refused and python == kernel


def test_a_failed_zip_leaves_no_file(tmp_path, originals, info, monkeypatch):
    dest = bags.build_bag(tmp_path / info.number, originals, info, None)

    def fail(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(copying.os, "copy_file_range", fail)
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError, match="Input/output error"):
        archive.zip_bag(dest, tmp_path / "out" / "package.zip")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("kernel", [True, False], ids=["kernel-copy", "python-copy"])
def test_the_disc_image_reads_back_identical_in_every_tree(
    tmp_path, originals, info, monkeypatch, kernel
):
    dest = bags.build_bag(tmp_path / info.number, originals, info, None)
    if not kernel:
        refuse_kernel_copy(monkeypatch)
    image = images.build_iso(dest, tmp_path / "disc.iso", volume_id="ZJ_2026_0042")
    expected = {
        p.relative_to(dest).as_posix(): sha256_of(p) for p in dest.rglob("*") if p.is_file()
    }
    for tree in ("udf", "rr", "joliet"):  # names short enough to keep in every tree
        assert images.read_back(image, tree=tree) == expected, tree
    plain = images.read_back(image, tree="iso9660")  # generated names, same bytes
    assert sorted(plain.values()) == sorted(expected.values())
