"""Copy a camera's file into the local spool, hashing SHA-256 in the same pass (issue 19 §2).

The camera is read once: the spool copy is what is uploaded, its hash what the platform's
must equal. The copy is fsynced and renamed into place before the journal says "spooled", so
a spool file the journal names is always whole.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from avrecords.agent.cameras import CameraFile

CHUNK_BYTES = 1024 * 1024


class SourceChanged(Exception):
    """The camera's file changed or vanished while it was read; the message is Chinese."""


def copy_and_hash(item: CameraFile, dest: Path) -> str:
    """Copy item to dest (whole or not at all) and return the hex SHA-256 of what was read."""
    partial = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(item.path, "rb") as src, open(partial, "wb") as out:
            while chunk := src.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
            after = os.fstat(src.fileno())
    except FileNotFoundError as exc:
        partial.unlink(missing_ok=True)
        raise SourceChanged("文件在复制前已被移除") from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if exc.filename == str(partial):
            raise  # the spool's own disk: the agent stops, the camera is untouched
        raise SourceChanged("设备读取出错，文件可能已被拔出或损坏") from exc
    if size != item.size or after.st_size != item.size or after.st_mtime_ns != item.mtime_ns:
        partial.unlink(missing_ok=True)
        raise SourceChanged("文件在复制过程中发生了变化")
    os.replace(partial, dest)
    _fsync_dir(dest.parent)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
