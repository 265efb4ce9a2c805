"""M1/X4: what a file is, from its name — GA/T 947 fields, junk, and unsafe upload names."""

from __future__ import annotations

import pytest

from avrecords.recordings.naming import (
    UnsafeNameError,
    check_upload_name,
    compiled_patterns,
    junk_reason,
    media_kind_of,
    parse_name,
)


def test_it_reads_device_officer_and_local_time_from_a_gat947_name():
    fields = parse_name("3501007_350211_20261120093000_0001.MP4")
    assert (fields.device_serial, fields.officer_no, fields.segment_no) == (
        "3501007",
        "350211",
        "0001",
    )
    assert fields.started_at.isoformat() == "2026-11-20T09:30:00+08:00"


def test_it_accepts_dashes_and_lowercase_serials():
    assert parse_name("abc1234-350211-20261120093000-12.mp4").device_serial == "ABC1234"


def test_it_rejects_impossible_dates_and_other_names():
    assert parse_name("3501007_350211_20261340093000_0001.MP4") is None
    assert parse_name("现场检查_张三食品店.mp4") is None


def test_extra_patterns_come_from_configuration(settings):
    settings.AVRECORDS_FILENAME_PATTERNS = [r"^REC(?P<ts>\d{14})_(?P<serial>\w+)_(?P<officer>\d+)$"]
    compiled_patterns.cache_clear()
    try:
        fields = parse_name("REC20261120093000_HK01234_350211.mp4")
        assert fields.device_serial == "HK01234" and fields.officer_no == "350211"
    finally:
        compiled_patterns.cache_clear()


def test_a_pattern_without_the_needed_groups_is_refused(settings):
    settings.AVRECORDS_FILENAME_PATTERNS = [r"^(?P<serial>\w+)$"]
    compiled_patterns.cache_clear()
    try:
        with pytest.raises(ValueError, match="lacks groups"):
            parse_name("x.mp4")
    finally:
        compiled_patterns.cache_clear()


@pytest.mark.parametrize(
    "path",
    [
        "DCIM/._clip.MP4",
        "Thumbs.db",
        "DEVICE.LOG",
        "FIRMWARE.BIN",
        "System Volume Information/x.mp4",
    ],
)
def test_system_junk_is_recognised(path):
    assert junk_reason(path)


def test_media_kinds_follow_the_extension():
    assert media_kind_of("a.MP4") == "video" and media_kind_of("a.ts") == "video"
    assert media_kind_of("a.JPG") == "photo" and media_kind_of("a.amr") == "audio"
    assert media_kind_of("a.docx") is None


@pytest.mark.parametrize(
    "name,message",
    [
        ("../etc/passwd.mp4", "路径分隔符"),
        ("a..mp4", ".."),
        ("a/b.mp4", "路径分隔符"),
        ("a\\b.mp4", "路径分隔符"),
        ("bad\ufffdname.mp4", "UTF-8"),
        ("tab\there.mp4", "控制字符"),
        ("x" * 300 + ".mp4", "过长"),
        ("", "为空"),
    ],
)
def test_unsafe_upload_names_are_refused_with_a_chinese_reason(name, message):
    with pytest.raises(UnsafeNameError, match=message):
        check_upload_name(name)


def test_chinese_upload_names_are_kept():
    assert (
        check_upload_name("现场检查_张三食品店_20261120.mp4") == "现场检查_张三食品店_20261120.mp4"
    )
