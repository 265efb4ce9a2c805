"""X1 a sealed evidence bag (issue 23 §2, `make mutate` on evidence/bag.py): the bag's public
key is read only as the ASCII PEM the package writes, so a key file carrying anything else is
reported as unreadable rather than trusted. The export's own hash check (M7: an original that
no longer matches its ingest record stops the export) is pinned in test_evidence_package.py.
"""

from __future__ import annotations

from pathlib import Path

from avrecords.evidence import bag as bags
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
