"""The station agent's parts without a platform (issue 19 §2): station.toml, a docked camera's
serial and files, the journal, the one-pass copy into the spool."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from avrecords.agent import cameras
from avrecords.agent.config import EXAMPLE, ConfigError, load
from avrecords.agent.journal import Journal
from avrecords.agent.spool import SourceChanged, copy_and_hash

TOKEN = "avr_abcdefghijklmnopqrstuvwxyz012345"


def write(tmp_path: Path, text: str, token_mode: int = 0o600) -> Path:
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(token_mode)
    path = tmp_path / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
platform_url = "http://127.0.0.1:8000/"
token_file = "token"
watch_directory = "docks"
spool = "spool"
journal = "journal.sqlite3"
"""


def test_it_reads_a_minimal_config_with_the_documented_defaults(tmp_path):
    config = load(write(tmp_path, GOOD))
    assert config.platform_url == "http://127.0.0.1:8000"
    assert config.token == TOKEN
    assert (config.watch, config.parallel, config.part_bytes) == ("poll", 4, 8 * 1024 * 1024)
    assert config.erase_after_verify is False and config.set_camera_clock is False
    assert config.spool == tmp_path / "spool"
    assert config.uploads_url == "http://127.0.0.1:8000/api/v1/uploads/"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            GOOD.replace("http://127.0.0.1:8000/", "ftp://x"),
            "platform_url：应为 http:// 或 https://",
        ),
        (GOOD + 'watch = "inotify"\n', 'watch：只能是 "poll"'),
        (GOOD + "parallel = 0\n", "parallel：应为 1 到 32 之间的整数"),
        (GOOD + "part_mib = 1.5\n", "part_mib：应为 1 到 256 之间的整数"),
        (GOOD + 'erase_after_verify = "yes"\n', "erase_after_verify：应为 true 或 false"),
        (GOOD + "erase_after_verfy = true\n", "未知的配置项：erase_after_verfy"),
        (GOOD.replace('spool = "spool"\n', ""), "spool：缺少此项"),
        (GOOD + f'token = "{TOKEN}"\n', "token 与 token_file 只能给出一个"),
        (GOOD + "parallel = [\n", "格式错误"),
    ],
)
def test_a_wrong_key_is_named_in_chinese(tmp_path, change, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load(write(tmp_path, change))


def test_a_token_file_others_can_read_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="权限过宽.*chmod 600"):
        load(write(tmp_path, GOOD, token_mode=0o644))


def test_a_token_that_is_not_the_platforms_is_refused(tmp_path):
    text = GOOD.replace('token_file = "token"', 'token = "password123"')
    with pytest.raises(ConfigError, match="不是平台签发的采集站令牌"):
        load(write(tmp_path, text))


def test_the_example_config_is_valid_toml_once_its_token_exists(tmp_path):
    text = EXAMPLE.replace("/etc/avrecords-station/token", str(tmp_path / "token"))
    config = load(write(tmp_path, text))
    assert config.part_bytes == 8 * 1024 * 1024 and config.watch == "poll"


def test_the_command_names_the_wrong_key_and_exits_2(tmp_path):
    path = write(tmp_path, GOOD + "parallel = 99\n")
    result = subprocess.run(
        [sys.executable, "-m", "avrecords.cli", "station", "run", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "配置错误：parallel：应为 1 到 32 之间的整数" in result.stderr


# --- a docked camera ------------------------------------------------------------------------


def camera(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "CAM"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_the_serial_is_read_from_a_gbk_device_file_with_the_cameras_clock(tmp_path):
    text = "型号：DSJ-V9\r\n序列号：ab35010\r\n时间=2026-11-20 09:30:00\r\n"
    root = camera(tmp_path, {"DevInfo.txt": text.encode("gb18030")})
    info = cameras.read_device_info(root)
    assert (info.serial, info.source) == ("AB35010", "设备文件 DevInfo.txt")
    assert info.camera_time.isoformat() == "2026-11-20T09:30:00"


def test_a_bare_serial_file_names_the_camera(tmp_path):
    root = camera(tmp_path, {"SN.TXT": b"3501001\n"})
    assert cameras.read_device_info(root).serial == "3501001"


def test_without_a_device_file_the_gat947_names_tell_the_serial(tmp_path):
    root = camera(
        tmp_path,
        {
            "DCIM/100MEDIA/3501001_350211_20261120093000_0001.MP4": b"x",
            "DCIM/100MEDIA/3501001_350211_20261120093500_0002.MP4": b"y",
            "DCIM/100MEDIA/other.mp4": b"z",
        },
    )
    assert cameras.read_device_info(root) == cameras.DeviceInfo("3501001", "文件名")


def test_a_camera_that_names_nothing_has_no_serial(tmp_path):
    root = camera(tmp_path, {"DCIM/现场.mp4": b"x", "DEVICE.TXT": b"hello world"})
    assert cameras.read_device_info(root) is None


def test_only_media_files_are_listed_junk_and_unsupported_stay(tmp_path):
    root = camera(
        tmp_path,
        {
            "DCIM/100MEDIA/a.MP4": b"1",
            "DCIM/100MEDIA/b.JPG": b"2",
            "DCIM/100MEDIA/Thumbs.db": b"3",
            "DCIM/100MEDIA/._a.MP4": b"4",
            "DEVICE.TXT": b"SN=3501001",
            "MISC/FIRMWARE.BIN": b"5",
            "备注.docx": b"6",
        },
    )
    assert [f.relative_path for f in cameras.walk(root)] == [
        "DCIM/100MEDIA/a.MP4",
        "DCIM/100MEDIA/b.JPG",
    ]


def test_poll_mode_finds_each_subdirectory_and_listed_drive(tmp_path):
    docks = tmp_path / "docks"
    (docks / "CAM1").mkdir(parents=True)
    (docks / ".staging").mkdir()
    drive = tmp_path / "E"
    drive.mkdir()
    config = load(write(tmp_path, GOOD + f'camera_paths = ["{drive}", "{tmp_path / "F"}"]\n'))
    assert cameras.discover(config) == [docks / "CAM1", drive]


# --- spool and journal ----------------------------------------------------------------------


def test_the_copy_hashes_what_it_read_and_is_whole_or_absent(tmp_path):
    root = camera(tmp_path, {"a.mp4": b"abc" * 100_000})
    [item] = cameras.walk(root)
    dest = tmp_path / "1.bin"
    assert copy_and_hash(item, dest) == hashlib.sha256(b"abc" * 100_000).hexdigest()
    assert dest.read_bytes() == b"abc" * 100_000

    (root / "a.mp4").write_bytes(b"changed")  # the camera's file changed since it was listed
    with pytest.raises(SourceChanged, match="发生了变化"):
        copy_and_hash(item, tmp_path / "2.bin")
    assert sorted(p.name for p in tmp_path.glob("*.bin*")) == ["1.bin"]


def test_the_journal_knows_a_file_by_camera_path_size_and_time(tmp_path):
    root = camera(tmp_path, {"a.mp4": b"abc"})
    [item] = cameras.walk(root)
    journal = Journal(tmp_path / "j.sqlite3")
    row = journal.file_for("3501001", item)
    journal.update(row.id, state="done", verified=1)
    assert journal.pending() == (0, 0)
    again = Journal(tmp_path / "j.sqlite3").file_for("3501001", item)
    assert (again.id, again.state) == (row.id, "done")
    (root / "a.mp4").write_bytes(b"abcd")  # another recording under the same name
    [newer] = cameras.walk(root)
    assert journal.file_for("3501001", newer).state == "queued"
    assert journal.pending() == (1, 4)
