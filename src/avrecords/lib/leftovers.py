"""Removing what dead processes left behind: half-received uploads and half-made derivatives.

A live writer keeps touching its file, so only files untouched for a while are leftovers.
Originals are never touched here: they live in the store, whose own incomplete puts are
cleaned by ``OriginalStore.cleanup_incomplete``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 3600


def remove_stale(directory: Path, pattern: str, older_than_seconds: float) -> int:
    """Delete files under ``directory`` matching ``pattern`` (recursive glob) that are old."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in directory.rglob(pattern):
        try:
            if path.is_file() and path.stat().st_mtime <= cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def clean(older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
    """Remove stale upload temp files and unfinished derivative files; return how many."""
    uploads = remove_stale(Path(settings.FILE_UPLOAD_TEMP_DIR), "upload-*", older_than_seconds)
    parts = remove_stale(settings.AVRECORDS_DERIVED_PATH, ".*.part", older_than_seconds)
    if uploads or parts:
        log.warning(
            "removed %d interrupted upload(s) and %d unfinished derivative(s)", uploads, parts
        )
    return uploads + parts
