"""A camera dump for tests: every kind of file a body camera or phone leaves behind."""

from __future__ import annotations

import shutil
from pathlib import Path

from avrecords.demo import media

# serial 3501001 is issued to officer 350211 (张伟) by the fixtures; 3509999 is unknown.
H264 = "3501001_350211_20261120093000_0001.MP4"
H264_B = "3501001_350211_20261120093500_0002.MP4"
HEVC = "3501001_350211_20261120094000_0003.MP4"
MOV = "3501001_350211_20261120094500_0004.MOV"
TS = "3501001_350211_20261120095000_0005.TS"
PHOTO = "3501001_350211_20261120095500_0006.JPG"
PNG = "截图_现场.png"
WAV = "3501001_350211_20261120100000_0007.WAV"
MP3 = "询问录音.mp3"
AAC = "3501001_350211_20261120100500_0008.AAC"
AMR = "3501001_350211_20261120101000_0009.AMR"
UNKNOWN_DEVICE = "3509999_359999_20261120101500_0001.MP4"
CHINESE = "现场检查_张三食品店_20261120.mp4"
TRUNCATED = "3501001_350211_20261120102000_0010.MP4"
ZERO = "3501001_350211_20261120102500_0011.MP4"
DUPLICATE = "副本_3501001_350211_20261120093000_0001.MP4"
JUNK = ["._3501001_350211_20261120093000_0001.MP4", "Thumbs.db", "DEVICE.LOG", "FIRMWARE.BIN"]
UNSUPPORTED = "备注.docx"


def build_library(root: Path) -> Path:
    """Make every file once per test session (encoding is the slow part)."""
    root.mkdir(parents=True, exist_ok=True)
    media.make_video(root / H264, seconds=3)
    media.make_video(root / H264_B, seconds=2, variant=1)
    media.make_video(root / HEVC, seconds=3, codec="hevc")
    media.make_video(root / MOV, seconds=2, variant=2)
    media.make_video(root / TS, seconds=2, variant=3)
    media.make_photo(root / PHOTO)
    media.make_photo(root / PNG, width=320, height=200)
    media.make_audio(root / WAV)
    media.make_audio(root / MP3)
    media.make_audio(root / AAC)
    media.make_audio(root / AMR)
    media.make_video(root / UNKNOWN_DEVICE, seconds=2, variant=4)
    media.make_video(
        root / CHINESE, seconds=2, variant=5, creation_time="2026-11-20T02:00:00.000000Z"
    )
    media.make_video(root / "full_for_truncation.mp4", seconds=4)
    media.truncate_copy(root / "full_for_truncation.mp4", root / TRUNCATED, 0.5)
    (root / ZERO).write_bytes(b"")
    shutil.copyfile(root / H264, root / DUPLICATE)
    for name in JUNK:
        (root / name).write_bytes(b"junk\n")
    (root / UNSUPPORTED).write_bytes(b"PK\x03\x04 not media")
    return root


def make_dump(library: Path, dest: Path, names: list[str] | None = None) -> Path:
    """A camera's storage as mounted in USB-disk mode: DCIM/100MEDIA/… plus junk at the top."""
    media_dir = dest / "DCIM" / "100MEDIA"
    media_dir.mkdir(parents=True)
    wanted = names or [
        H264,
        H264_B,
        HEVC,
        MOV,
        TS,
        PHOTO,
        PNG,
        WAV,
        MP3,
        AAC,
        AMR,
        UNKNOWN_DEVICE,
        CHINESE,
        TRUNCATED,
        ZERO,
        DUPLICATE,
        UNSUPPORTED,
    ]
    for name in wanted:
        shutil.copyfile(library / name, media_dir / name)
    if names is None:
        for name in JUNK:
            shutil.copyfile(
                library / name, (dest if name.endswith((".LOG", ".BIN")) else media_dir) / name
            )
    return dest
