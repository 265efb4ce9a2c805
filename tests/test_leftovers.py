"""Interrupted uploads and derivative jobs leave no litter behind (M1, M2)."""

import os
import time

from django.core.management import call_command

DAY = 86400


def _file(path, age_seconds: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_init_removes_stale_uploads_and_parts_but_keeps_live_and_finished_files(
    db, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    settings.AVRECORDS_DERIVED_PATH = tmp_path / "derived"
    dead_upload = _file(tmp_path / "tmp" / "upload-dead", DAY)
    live_upload = _file(tmp_path / "tmp" / "upload-live", 5)
    other = _file(tmp_path / "tmp" / "notes.txt", DAY)
    dead_part = _file(tmp_path / "derived" / "ab" / ".proxy.mp4.4242.part", DAY)
    finished = _file(tmp_path / "derived" / "ab" / "proxy.mp4", DAY)

    call_command("avinit", verbosity=0)

    assert not dead_upload.exists() and not dead_part.exists()
    assert live_upload.exists() and other.exists() and finished.exists()
