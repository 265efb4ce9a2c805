"""M7/X1 the evidence check, as its user sees it (issue 23 §2, `make mutate` on evidence/bag.py).

Pinned here: the progress a user watches while every original is re-hashed against its ingest
record (bytes done, bytes in all, after each chunk read, over files larger than one chunk); the
Chinese reason given for an original that cannot be read (the system's reason, or the store's
message), and that the check goes on to the originals after it; the full Chinese message for an
original whose size or hash no longer matches (recorded and current values); and that a
sealed bag's public key is read only as the ASCII PEM the package writes (X1), so a key file
carrying anything else is reported as unreadable rather than trusted.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path

from avrecords.evidence import bag as bags
from avrecords.evidence.items import Item
from avrecords.lib import signing
from avrecords.lib.storage.base import StoreError
from tests.test_evidence_package import info, item_for  # noqa: F401 (info: fixture)

MIB = 1024 * 1024
NO_FILE = os.strerror(errno.ENOENT)  # the system's reason, as the user is shown it


def _file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return path


# ---- progress -------------------------------------------------------------------------------


def test_the_check_reports_bytes_done_and_bytes_in_all_after_every_chunk(tmp_path):
    large = item_for(_file(tmp_path, "执法记录_大.mp4", 2 * MIB + 300))
    small = item_for(_file(tmp_path, "询问录音.wav", 1000))
    total = 2 * MIB + 1300
    seen = []

    assert bags.verify_against_store([large, small], progress=lambda *a: seen.append(a)) == []

    # a file of two chunks and a bit is read in three, and the count runs on into the next
    assert seen == [
        (MIB, total),
        (2 * MIB, total),
        (2 * MIB + 300, total),
        (total, total),
    ]


def test_the_progress_total_counts_an_unreadable_original_too(tmp_path):
    missing = Item("不存在.mp4", 5000, "0" * 64, lambda: open(tmp_path / "nothing", "rb"))
    clip = item_for(_file(tmp_path, "执法记录.mp4", 700))
    seen = []

    problems = bags.verify_against_store([missing, clip], progress=lambda *a: seen.append(a))

    assert problems == [f"原始文件“不存在.mp4”无法读取（{NO_FILE}）"]
    assert seen == [(700, 5700)]


# ---- what cannot be read --------------------------------------------------------------------


def test_an_unreadable_original_is_named_with_its_reason_and_the_check_goes_on(tmp_path):
    clip = _file(tmp_path, "执法记录_张伟.mp4", 3000)
    altered = item_for(clip)
    clip.write_bytes(b"x" + clip.read_bytes()[1:])

    def refused():
        raise StoreError("存储暂时不可用")

    def no_reason():
        raise OSError("设备未就绪")

    items = [
        Item("丢失.mp4", 10, "0" * 64, lambda: open(tmp_path / "gone" / "x.mp4", "rb")),
        Item("存储故障.mp4", 10, "0" * 64, refused),
        Item("设备.mp4", 10, "0" * 64, no_reason),
        altered,
    ]
    problems = bags.verify_against_store(items)

    assert problems[:3] == [
        f"原始文件“丢失.mp4”无法读取（{NO_FILE}）",
        "原始文件“存储故障.mp4”无法读取（存储暂时不可用）",
        "原始文件“设备.mp4”无法读取（设备未就绪）",
    ]
    assert problems[3].startswith("原始文件“执法记录_张伟.mp4”与入库时记录的哈希值不一致")
    assert len(problems) == 4


# ---- what no longer matches -----------------------------------------------------------------


def test_an_altered_original_is_reported_with_the_recorded_and_current_hash(tmp_path):
    clip = _file(tmp_path, "执法记录.mp4", MIB + 10)
    recorded = item_for(clip)
    data = bytearray(clip.read_bytes())
    data[-1] ^= 0xFF
    clip.write_bytes(bytes(data))
    current = hashlib.sha256(bytes(data)).hexdigest()

    assert bags.verify_against_store([recorded]) == [
        "原始文件“执法记录.mp4”与入库时记录的哈希值不一致"
        f"（入库 {recorded.sha256[:8]}…，现为 {current[:8]}…）"
    ]


def test_an_original_of_another_size_is_reported_even_when_its_hash_is_as_recorded(tmp_path):
    clip = _file(tmp_path, "执法记录.mp4", 4096)
    data = clip.read_bytes()
    same_hash_wrong_size = Item(
        "执法记录.mp4", 4000, hashlib.sha256(data).hexdigest(), lambda: open(clip, "rb")
    )
    shorter = Item(
        "询问录音.wav", 4096, hashlib.sha256(data).hexdigest(), lambda: io.BytesIO(data[:4000])
    )

    assert bags.verify_against_store([same_hash_wrong_size, shorter]) == [
        "原始文件“执法记录.mp4”与入库时记录的大小不一致（入库 4000 字节，现为 4096 字节）",
        "原始文件“询问录音.wav”与入库时记录的大小不一致（入库 4096 字节，现为 4000 字节）",
    ]


# ---- the seal (X1) --------------------------------------------------------------------------


def test_a_public_key_file_that_is_not_ascii_is_not_trusted(tmp_path, info):  # noqa: F811
    signer = signing.new_signer("sm2")
    seal = bags.Seal(b'{"seq": 1}', signer.public.pem(), signer.sign)
    clip = item_for(_file(tmp_path, "执法记录.mp4", 500))
    dest = bags.build_bag(tmp_path / "bag", [clip], info, None, seal=seal)
    assert bags.seal_problems(dest) == []

    key = dest / bags.PUBLIC_KEY_NAME
    key.write_text("安装单位公钥\n" + key.read_text(encoding="ascii"), encoding="utf-8")

    assert bags.seal_problems(dest) == [
        "证据包签名无法核验：缺少或无法读取 signing-key.pub、tagmanifest-sha256.txt"
    ]
