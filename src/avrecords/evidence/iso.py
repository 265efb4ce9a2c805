"""A disc image of an evidence bag, readable with its Chinese names everywhere (M6, M7).

One image carries four directory trees over the same data: ISO9660 (interchange level 3,
generated ASCII names such as D0001/F0001.MP4;1, for any reader), Joliet level 3 (Windows
without UDF; names of at most 64 UTF-16 units, shortened before the extension and kept
unique), Rock Ridge 1.09 (Linux and macOS; full names) and UDF (Windows, Linux, macOS; full
names). The whole bag goes on the disc, so the disc itself is a bag that bagit can validate.

Files larger than 4 GiB: pycdlib (>= 1.22) writes the data once and points every tree at
it; ISO9660 and Joliet describe such a file with multi-extent directory records (sections of
0xFFFFF800 bytes), Rock Ridge names those same records, and UDF uses one File Entry whose
allocation descriptors (0x3FFFF800 bytes each) cover the whole run. pycdlib labels its UDF
volume revision 1.02 even when asked for "2.60" (it writes no metadata partition, which 2.50
and later require), which every UDF reader accepts.

pycdlib resolves a Rock Ridge path of a multi-extent file to its last section only, so
`read_back` reads Rock Ridge files through their ISO9660 records.

File data is written once, by the kernel (`_Image._output_file_data`: copy_file_range from
each bag file into its extent, as `cat` does), so the image is made at the copy bound
(bench/export_bench.py); pycdlib's own read/write loop remains for what the kernel refuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pycdlib
from pycdlib import inode, pycdlibexception, utils

from avrecords.lib.copying import NoKernelCopy, kernel_copy_chunks

logger = logging.getLogger(__name__)

READ_CHUNK_BYTES = 1024 * 1024
JOLIET_MAX_UNITS = 64  # UTF-16 code units per name (Joliet specification)
JOLIET_FORBIDDEN = frozenset("*/:;?\\")
JOLIET_MAX_EXTENSION_UNITS = 10
ISO_VOLUME_ID_MAX_CHARS = 16  # the Joliet volume descriptor holds 16 UTF-16 units
FILE_MODE = 0o100444  # Rock Ridge: evidence is read-only
DIR_MODE = 0o040555
TREES = {"udf": "udf_path", "rr": "rr_path", "joliet": "joliet_path", "iso9660": "iso_path"}

Progress = Callable[[int, int], None]


class _Image(pycdlib.PyCdlib):
    """pycdlib counts a Joliet name's UTF-8 bytes against the 64 limit, which allows only 21
    Chinese characters; Joliet counts UTF-16 units, so 64 Chinese characters fit."""

    def _joliet_name_and_parent_from_path(self, joliet_path):
        parts = utils.split_path(joliet_path)
        name = parts.pop().decode("utf-8").encode("utf-16_be")
        if len(name) > 2 * JOLIET_MAX_UNITS:
            raise pycdlibexception.PyCdlibInvalidInput(
                "Joliet names can be a maximum of 64 characters"
            )
        return name, self._find_joliet_record(b"/" + b"/".join(parts))

    def _output_file_data(self, outfp, blocksize, ino):
        """pycdlib's, except that the kernel copies each file into the image
        (copy_file_range, as `cat` does: no bytes through Python) when both ends are files;
        anything else goes through pycdlib's own read/write loop."""
        if (
            self._track_writes
            or ino.boot_info_table is not None
            or ino.original_data_location != ino.DATA_IN_EXTERNAL_FP
        ):
            yield from super()._output_file_data(outfp, blocksize, ino)
            return
        outfp.seek(ino.extent_location() * self.logical_block_size)
        outfp.flush()
        start = outfp.tell()
        with inode.InodeOpenData(ino, self.logical_block_size) as (data_fp, data_len):
            copied = 0
            try:
                chunks = kernel_copy_chunks(
                    data_fp.fileno(), data_fp.tell(), outfp.fileno(), start, data_len
                )
                for n in chunks:
                    copied += n
                    yield n
            except NoKernelCopy:  # nothing copied yet: pycdlib's loop from the same place
                yield from utils.copy_data_yield(data_len, blocksize, data_fp, outfp)
            else:
                if copied != data_len:
                    raise OSError(f"光盘镜像写入中断：文件比记录的短（{copied}/{data_len} 字节）")
                outfp.seek(start + data_len)
            yield utils.zero_pad(outfp, data_len, self.logical_block_size)


def build_iso(
    bag_dir: Path, iso_path: Path, volume_id: str, progress: Progress | None = None
) -> Path:
    """Write an image of everything under `bag_dir` to `iso_path` (which must not exist).

    Files are streamed from disk while the image is written; progress(bytes_done,
    bytes_total) follows pycdlib's writer. A failure leaves no file at `iso_path`.
    """
    bag_dir, iso_path = Path(bag_dir), Path(iso_path)
    if iso_path.exists():
        raise FileExistsError(f"光盘镜像“{iso_path}”已存在")
    image = _Image()
    image.new(
        interchange_level=3,
        joliet=3,
        rock_ridge="1.09",
        udf="2.60",
        vol_ident=iso_volume_id(volume_id),
        app_ident_str="AVRECORDS EVIDENCE PACKAGE",
    )
    fd, part = tempfile.mkstemp(prefix=f".{iso_path.name}.", suffix=".part", dir=iso_path.parent)
    try:
        with contextlib.ExitStack() as open_files, os.fdopen(fd, "wb") as out:
            count = _add_tree(image, bag_dir, open_files)

            def report(done: int, total: int, _opaque: object) -> None:
                if progress is not None:
                    progress(done, total)

            image.write_fp(out, blocksize=READ_CHUNK_BYTES, progress_cb=report)
        os.rename(part, iso_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise
    finally:
        image.close()
    logger.info(
        "Evidence disc image %s written from %s: %d files, %d bytes",
        iso_path,
        bag_dir,
        count,
        iso_path.stat().st_size,
    )
    return iso_path


def _add_tree(image: _Image, root: Path, open_files: contextlib.ExitStack) -> int:
    """Add every directory and file under root to all four trees; returns the file count."""
    places = {Path("."): ("", "")}  # bag-relative dir -> (ISO9660 path, Joliet path)
    dirs = files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        filenames.sort()
        rel = Path(dirpath).relative_to(root)
        iso_parent, joliet_parent = places[rel]
        joliet = joliet_name_map(dirnames + filenames)
        for name in dirnames:
            dirs += 1
            iso_dir = f"{iso_parent}/D{dirs:04d}"
            joliet_dir = f"{joliet_parent}/{joliet[name]}"
            image.add_directory(
                iso_path=iso_dir,
                rr_name=name,
                joliet_path=joliet_dir,
                udf_path="/" + (rel / name).as_posix(),
                file_mode=DIR_MODE,
            )
            places[rel / name] = (iso_dir, joliet_dir)
        for name in filenames:
            files += 1
            # add_file: pycdlib opens each file only while writing it, so a package of
            # thousands of recordings stays under the open-file limit
            image.add_file(
                str(Path(dirpath) / name),
                iso_path=f"{iso_parent}/{iso9660_file_name(files, name)}",
                rr_name=name,
                joliet_path=f"{joliet_parent}/{joliet[name]}",
                udf_path="/" + (rel / name).as_posix(),
                file_mode=FILE_MODE,
            )
    return files


def iso_volume_id(volume_id: str) -> str:
    """ISO9660 d-characters (A-Z, 0-9, _), short enough for the Joliet descriptor too."""
    cleaned = re.sub(r"[^A-Z0-9_]", "_", volume_id.upper())[:ISO_VOLUME_ID_MAX_CHARS]
    return cleaned or "EVIDENCE"


def iso9660_file_name(number: int, name: str) -> str:
    """F0001.MP4;1: a generated name keeping the (ASCII part of the) extension."""
    _stem, dot, ext = name.rpartition(".")
    ext = re.sub(r"[^A-Z0-9]", "", ext.upper())[:8] if dot else ""
    return f"F{number:04d}.{ext};1"


# ---- Joliet names -------------------------------------------------------------------------


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest prefix of text within `units` UTF-16 units (never half a surrogate pair)."""
    out, used = [], 0
    for ch in text:
        used += _units(ch)
        if used > units:
            break
        out.append(ch)
    return "".join(out)


def _joliet_clean(name: str) -> str:
    return "".join(
        "_" if ch in JOLIET_FORBIDDEN or unicodedata.category(ch) == "Cc" else ch for ch in name
    )


def joliet_name_map(names: list[str]) -> dict[str, str]:
    """Joliet names for the entries of one directory: those that fit are kept, longer ones
    are cut before their extension, and a "~N" tag tells apart names that would clash
    (Windows compares names case-insensitively)."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        clean = _joliet_clean(name)
        if _units(clean) <= JOLIET_MAX_UNITS and clean.casefold() not in taken:
            result[name] = clean
            taken.add(clean.casefold())
    for name in names:
        if name in result:
            continue
        clean = _joliet_clean(name)
        stem, dot, ext = clean.rpartition(".")
        if not dot or not stem or _units(ext) + 1 > JOLIET_MAX_EXTENSION_UNITS:
            stem, ext = clean, ""
        suffix = f".{ext}" if ext else ""
        number = 0
        while True:
            tag = f"~{number}" if number else ""
            candidate = _cut(stem, JOLIET_MAX_UNITS - _units(suffix) - _units(tag)) + tag + suffix
            if candidate.casefold() not in taken:
                break
            number += 1
        result[name] = candidate
        taken.add(candidate.casefold())
    return result


# ---- reading an image back ------------------------------------------------------------------


def read_back(iso_path: Path, *, tree: str = "udf") -> dict[str, str]:
    """Every file in one tree of the image ("udf", "rr", "joliet" or "iso9660") -> SHA-256 of
    its bytes as read back from the image, streamed. Paths are relative, e.g. "data/x.mp4"."""
    key = TREES[tree]
    image = pycdlib.PyCdlib()
    hashes = {}
    with open(iso_path, "rb") as meta_fp, open(iso_path, "rb") as data_fp:
        image.open_fp(meta_fp)
        try:
            for path in _file_paths(image, key):
                if tree == "rr":
                    record = image.get_record(rr_path=path)
                    extents = image.get_file_byte_extents(
                        iso_path=image.full_path_from_dirrecord(record)
                    )
                else:
                    extents = image.get_file_byte_extents(**{key: path})
                hashes[path.lstrip("/")] = _hash_extents(data_fp, extents)
        finally:
            image.close()
    return hashes


def joliet_names(iso_path: Path) -> list[str]:
    """The Joliet paths of every directory and file in the image, relative."""
    image = pycdlib.PyCdlib()
    with open(iso_path, "rb") as fp:
        image.open_fp(fp)
        try:
            names = []
            for dirpath, dirnames, filenames in image.walk(joliet_path="/"):
                base = dirpath.rstrip("/")
                names += [f"{base}/{name}".lstrip("/") for name in dirnames + filenames]
        finally:
            image.close()
    return names


def _file_paths(image: pycdlib.PyCdlib, key: str) -> Iterator[str]:
    for dirpath, _dirnames, filenames in image.walk(**{key: "/"}):
        for name in filenames:
            yield f"{dirpath.rstrip('/')}/{name}"


def _hash_extents(fp, extents: list[tuple[int, int]]) -> str:
    digest = hashlib.sha256()
    for offset, length in extents:
        fp.seek(offset)
        left = length
        while left:
            chunk = fp.read(min(left, READ_CHUNK_BYTES))
            if not chunk:
                raise OSError(f"光盘镜像在文件数据中途结束（第 {fp.tell()} 字节）")
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()
