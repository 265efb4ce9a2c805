"""An evidence package as a BagIt 1.0 bag (RFC 8493), written in one pass (M6, M7).

Each original is copied from the store into data/ by the kernel while a second thread hashes
the copy just behind it (lib.copying: the two-core pipeline), and the copy's SHA-256 is
compared with the hash recorded at ingest: a mismatch means the original was altered in
the store, so the export stops and names the file (TamperedOriginal). The manifest is written
from the hashes of that same pass, so a 4 GB recording is read once, not again by
bagit.make_bag. The bag is assembled in a hidden sibling directory and renamed into place, so
a failure leaves nothing half-written. `verify_bag` re-checks a bag with bagit-python's
validator and says in Chinese which file is wrong.

A sealed bag (X1) also holds, as tag files listed in the tag manifest, the signed anchor of
the audit chain made when it was built (`audit-anchor.json`) and the installation's public
key (`signing-key.pub`); `tagmanifest-sha256.txt.sig` is the signature over the tag manifest
itself, so it cannot be listed in it (the one tag file outside it). The tag manifest lists
bag-info.txt and the payload manifest, so the signature covers every byte of the package.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import bagit
from django.utils import timezone

from avrecords.evidence.items import (
    STATEMENT_NAME,
    Item,
    PackageInfo,
    TamperedOriginal,
    check_names,
)
from avrecords.lib import signing
from avrecords.lib.copying import copy_to_new_file

logger = logging.getLogger(__name__)

PAYLOAD_DIR = "data"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
ANCHOR_NAME = "audit-anchor.json"
PUBLIC_KEY_NAME = "signing-key.pub"
SIGNATURE_NAME = f"{TAG_MANIFEST}.sig"
BAG_SOFTWARE_AGENT = "AVRecords evidence package"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Seal:
    """What seals a bag (X1): the audit anchor of its time (the anchor file's bytes), the
    public key (PEM) and the signing function that signs the tag manifest."""

    anchor_json: bytes
    public_key_pem: str
    sign: Callable[[bytes], bytes]


@dataclass(frozen=True)
class _Copied:
    path: str  # relative to the bag, e.g. "data/执法记录.mp4"
    size: int
    sha256: str


def build_bag(
    dest: Path,
    items: Iterable[Item],
    info: PackageInfo,
    statement_pdf: bytes | None,
    progress: Progress | None = None,
    seal: Seal | None = None,
) -> Path:
    """Write the bag at `dest` (which must not exist) and return it, sealed if `seal` is given.

    progress(bytes_done, bytes_total) is called after every chunk copied. Raises
    TamperedOriginal when an original's bytes no longer match its ingest record, ValueError
    (Chinese message) for names a package cannot hold; either way no bag is left behind.
    """
    dest = Path(dest)
    items = list(items)
    check_names(items)
    if dest.exists():
        raise FileExistsError(f"证据包目录“{dest}”已存在")
    total = sum(item.size for item in items) + len(statement_pdf or b"")
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        (work / PAYLOAD_DIR).mkdir()
        copied = [_copy_original(item, work, advance) for item in items]
        if statement_pdf is not None:
            (work / PAYLOAD_DIR / STATEMENT_NAME).write_bytes(statement_pdf)
            copied.append(
                _Copied(
                    f"{PAYLOAD_DIR}/{STATEMENT_NAME}",
                    len(statement_pdf),
                    hashlib.sha256(statement_pdf).hexdigest(),
                )
            )
            advance(len(statement_pdf))
        _write_tag_files(work, copied, info, seal)
        os.rename(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info(
        "Evidence bag %s built at %s: %d files, %d bytes",
        info.number,
        dest,
        len(copied),
        sum(c.size for c in copied),
    )
    return dest


def _copy_original(item: Item, work: Path, advance: Callable[[int], None]) -> _Copied:
    """Copy one original into data/ and hash the copy (lib.copying: the kernel copies while
    another thread hashes what it wrote); TamperedOriginal when the copy is not the
    original recorded at ingest."""
    with item.open() as src:
        size, actual = copy_to_new_file(src, work / PAYLOAD_DIR / item.name, progress=advance)
    if size != item.size or actual != item.sha256.lower():
        logger.error(
            "Evidence export stopped: original %r differs from its ingest record "
            "(sha256 %s, %d bytes recorded; sha256 %s, %d bytes read)",
            item.name,
            item.sha256,
            item.size,
            actual,
            size,
        )
        raise TamperedOriginal(
            item.name, item.sha256, actual, expected_size=item.size, actual_size=size
        )
    return _Copied(f"{PAYLOAD_DIR}/{item.name}", size, actual)


def _write_tag_files(
    work: Path, copied: list[_Copied], info: PackageInfo, seal: Seal | None = None
) -> None:
    (work / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    (work / "bag-info.txt").write_text(bag_info_text(info, copied), encoding="utf-8")
    (work / MANIFEST).write_text(
        "".join(f"{c.sha256}  {c.path}\n" for c in sorted(copied, key=lambda c: c.path)),
        encoding="utf-8",
    )
    tagged = ["bagit.txt", "bag-info.txt", MANIFEST]
    if seal is not None:
        (work / ANCHOR_NAME).write_bytes(seal.anchor_json)
        (work / PUBLIC_KEY_NAME).write_text(seal.public_key_pem, encoding="ascii")
        tagged += [ANCHOR_NAME, PUBLIC_KEY_NAME]
    tag_lines = []
    for name in tagged:
        digest = hashlib.sha256((work / name).read_bytes()).hexdigest()
        tag_lines.append(f"{digest}  {name}\n")
    (work / TAG_MANIFEST).write_text("".join(tag_lines), encoding="utf-8")
    if seal is not None:
        (work / SIGNATURE_NAME).write_bytes(seal.sign((work / TAG_MANIFEST).read_bytes()))


def bag_info_text(info: PackageInfo, copied: list[_Copied]) -> str:
    """bag-info.txt: the reserved BagIt fields, then ours (empty ones left out)."""
    payload_bytes = sum(c.size for c in copied)
    extracted_at = info.extracted_at
    if timezone.is_aware(extracted_at):
        extracted_at = timezone.localtime(extracted_at)
    fields = [
        ("Source-Organization", info.agency),
        ("Organization-Unit", info.unit),
        ("External-Identifier", info.number),
        ("External-Description", _description(info)),
        ("Bagging-Date", timezone.localdate().isoformat()),
        ("Bag-Software-Agent", BAG_SOFTWARE_AGENT),
        ("Payload-Oxum", f"{payload_bytes}.{len(copied)}"),
        ("Bag-Size", human_size(payload_bytes)),
        ("Case-Number", info.case_number),
        ("Case-Title", info.case_title),
        ("Activity", info.activity),
        ("Purpose", info.purpose),
        ("Maker", info.maker),
        ("Extractor", info.extractor),
        ("Extraction-Time", extracted_at.isoformat(timespec="seconds")),
        ("Extraction-Place", info.place),
        ("Approvers", "、".join(info.approvers)),
    ]
    return "".join(f"{label}: {_one_line(value)}\n" for label, value in fields if value)


def _description(info: PackageInfo) -> str:
    parts = [f"{info.agency}{info.unit}行政执法音像记录证据包"]
    if info.subject:
        parts.append(info.subject)
    if info.purpose:
        parts.append(info.purpose)
    return "，".join(parts)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# ---- checking ---------------------------------------------------------------------------


OXUM_MISMATCH = "证据包的文件数量或总大小与 bag-info.txt 的 Payload-Oxum 记录不符"


def verify_bag(path: Path) -> list[str]:
    """Problems with the bag at `path`, in Chinese, naming each bad file; [] when valid."""
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as exc:
        return [f"证据包无法打开，不符合 BagIt 规范（{exc}）"]
    problems = _validate(bag)
    if problems == [OXUM_MISMATCH]:
        # bagit's quick count-and-size check fails before any file is named; without it
        # the full check says which files are missing, extra or altered.
        bag.info.pop("Payload-Oxum")
        problems += _validate(bag)
    problems += seal_problems(Path(path))
    if problems:
        logger.warning("Evidence bag %s failed validation: %s", path, "; ".join(problems))
    return problems


def seal_problems(path: Path, trusted: signing.PublicKey | None = None) -> list[str]:
    """Whether the signature over the tag manifest holds, with the bag's own public key or
    (when given) a trusted one, in Chinese; [] for a bag that was never sealed."""
    if not (path / SIGNATURE_NAME).exists():
        return []
    try:
        key = trusted or signing.public_key_from_pem(
            (path / PUBLIC_KEY_NAME).read_text(encoding="ascii")
        )
        signature = (path / SIGNATURE_NAME).read_bytes()
        manifest = (path / TAG_MANIFEST).read_bytes()
    except (OSError, UnicodeDecodeError, signing.KeyProblem):
        return [f"证据包签名无法核验：缺少或无法读取 {PUBLIC_KEY_NAME}、{TAG_MANIFEST}"]
    if not key.verify(manifest, signature):
        logger.warning("Evidence bag %s: tag manifest signature does not verify", path)
        return [f"证据包签名无效：{TAG_MANIFEST} 在签名后被改动，或签名不是该公钥所签"]
    return []


def _validate(bag: bagit.Bag) -> list[str]:
    try:
        bag.validate()
    except bagit.BagValidationError as exc:
        if exc.details:
            return [_detail_problem(detail) for detail in exc.details]
        if "Payload-Oxum" in str(exc.message):
            return [OXUM_MISMATCH]
        return [f"证据包结构不符合 BagIt 规范（{exc.message}）"]
    except bagit.BagError as exc:
        return [f"证据包不符合 BagIt 规范（{exc}）"]
    return []


def _display(path: str) -> str:
    path = path.replace(os.sep, "/")
    prefix = f"{PAYLOAD_DIR}/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def _detail_problem(detail: bagit.BagError) -> str:
    if isinstance(detail, bagit.ChecksumMismatch):
        return f"文件“{_display(detail.path)}”校验失败（SHA-256 不符）"
    if isinstance(detail, bagit.FileMissing):
        return f"缺少文件 {_display(detail.path)}"
    if isinstance(detail, bagit.UnexpectedFile):
        return f"多出清单中没有的文件 {_display(detail.path)}"
    return f"证据包校验失败（{detail}）"
