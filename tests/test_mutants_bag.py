"""M7/X1 the evidence bag where `make mutate` found it loose (issue 23 §2): a sealed bag's public
key is read only as the ASCII PEM the package writes, so a key file carrying anything else is
reported as unreadable rather than trusted; a bag is written hidden beside its destination until
it is whole; and a cleanup that fails never hides why an export stopped. The export's own hash
check (an original that no longer matches its ingest record) is pinned in
test_evidence_package.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from avrecords.evidence import bag as bags
from avrecords.evidence.items import Item, TamperedOriginal
from avrecords.lib import signing
from tests.test_evidence_package import info, item_for  # noqa: F401 (info: fixture)


def _file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return path


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


def test_a_bag_is_written_hidden_beside_its_destination_until_it_is_whole(tmp_path, info):  # noqa: F811
    """M7: while the originals are copied, nothing is at the destination and the half-written
    bag is one hidden `.<name>.…part` directory beside it — on the same file system, so the
    finished bag appears whole, by one rename, and a reader of the exports folder never takes
    a half-written one for a package."""
    exports = tmp_path / "exports"
    exports.mkdir()
    dest = exports / "ZJ-2026-0007"
    seen = []

    def watch(done, total):
        seen.append(sorted(p.name for p in exports.iterdir()))

    clip = item_for(_file(tmp_path, "执法记录.mp4", 500))
    assert bags.build_bag(dest, [clip], info, b"%PDF statement", progress=watch) == dest

    assert seen and all(len(names) == 1 for names in seen)
    [hidden] = seen[0]
    assert hidden.startswith(".ZJ-2026-0007.") and hidden.endswith(".part")
    assert sorted(p.name for p in exports.iterdir()) == ["ZJ-2026-0007"]


def test_a_cleanup_that_fails_never_hides_why_the_export_stopped(tmp_path, info, monkeypatch):  # noqa: F811
    """M7: an export stopped by an altered original says so, even when its half-written bag
    cannot be removed (a full or read-only disk): the reason the user sees is the original's,
    not the cleanup's."""
    clip = _file(tmp_path, "执法记录.mp4", 500)
    altered = Item("执法记录.mp4", 500, "0" * 64, lambda: open(clip, "rb"))

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "unlink", refused)
    monkeypatch.setattr(os, "rmdir", refused)
    with pytest.raises(TamperedOriginal, match="与入库时记录的哈希值不一致"):
        bags.build_bag(tmp_path / "bag", [altered], info, None)
