"""Docked cameras: where they appear, which camera each is (its serial), what it holds (issue 19 §2).

A docked camera is a directory tree: a camera in USB-disk mode mounted by the system (Linux
`/media/<user>/<label>`, a Windows drive letter), or a subdirectory of a polled directory.
Its serial comes from a device file in its root (`DEVICE.TXT`, `SN.TXT`, `ID.TXT`,
`DevInfo.txt`: a bare serial, or lines such as `SN=…`, `序列号：…`), read bounded; otherwise
from the GA/T 947 names of its files (`lib.camera_files`, the ingest's own rules).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from avrecords.lib.camera_files import compile_patterns, junk_reason, match_name, media_kind_of

log = logging.getLogger(__name__)

DEVICE_FILES = ("device.txt", "sn.txt", "id.txt", "devinfo.txt", "deviceinfo.txt")
MAX_DEVICE_FILE_BYTES = 8 * 1024
# names looked at for a serial when no device file gives one
MAX_NAMES_FOR_SERIAL = 500
SERIAL_RE = re.compile(r"^[A-Za-z0-9]{5,20}$")
SERIAL_KEYS = {
    "sn",
    "serial",
    "serialno",
    "serial_no",
    "deviceid",
    "device_id",
    "序列号",
    "设备序列号",
}
TIME_KEYS = {"time", "datetime", "时间", "设备时间"}
KEY_VALUE_RE = re.compile(r"^\s*([^=:：]+?)\s*[=:：]\s*(.+?)\s*$")
CLOCK_FILE = "TIME.TXT"
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class CameraFile:
    """One file on a docked camera worth uploading."""

    path: Path
    relative_path: str
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9, tz=dt.UTC)


@dataclass(frozen=True)
class DeviceInfo:
    """What the camera's root says about itself."""

    serial: str
    source: str  # 设备文件 DEVICE.TXT / 文件名
    camera_time: dt.datetime | None = None  # naive: the camera's own local time


def discover(config) -> list[Path]:
    """The roots of every camera docked now, by the configured watch mode."""
    roots: list[Path] = []
    if config.watch == "udev":
        roots += _mounted_under(config.mount_roots)
    if config.watch_directory is not None and config.watch_directory.is_dir():
        roots += sorted(
            p for p in config.watch_directory.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    roots += [p for p in config.camera_paths if p.is_dir()]
    seen: set[Path] = set()
    return [r for r in roots if not (r in seen or seen.add(r))]


def _mounted_under(mount_roots: list[Path]) -> list[Path]:
    """Mount points below /media, /run/media, /mnt … (from /proc/mounts)."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1024 * 1024).splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        point = Path(fields[1].replace("\\040", " "))
        if any(point != root and root in point.parents for root in mount_roots):
            found.append(point)
    return sorted(found)


class ChangeWaiter:
    """Sleep until the next scan, waking early on a block-device event where pyudev exists."""

    def __init__(self, watch: str) -> None:
        self.monitor = None
        if watch == "udev":
            try:
                import pyudev  # optional: without it the mount points are polled

                context = pyudev.Context()
                self.monitor = pyudev.Monitor.from_netlink(context)
                self.monitor.filter_by("block")
                self.monitor.start()
            except Exception as exc:  # noqa: BLE001 — no pyudev, no netlink: poll instead
                log.info("udev events unavailable (%s); polling mount points", exc)
                self.monitor = None

    def wait(self, seconds: float) -> None:
        if self.monitor is None:
            time.sleep(seconds)
            return
        if self.monitor.poll(timeout=seconds) is not None:
            time.sleep(1.0)  # the desktop mounts the disk a moment after the event


def read_device_info(root: Path, patterns: list[str] | None = None) -> DeviceInfo | None:
    """The camera's serial (and its clock if it tells), or None when nothing names it."""
    info = _from_device_files(root)
    if info is not None:
        return info
    compiled = compile_patterns(patterns or [])
    serials: Counter[str] = Counter()
    for n, item in enumerate(walk(root)):
        if n >= MAX_NAMES_FOR_SERIAL:
            break
        match = match_name(item.relative_path.rsplit("/", 1)[-1], compiled)
        if match:
            serials[match["serial"].upper()] += 1
    if not serials:
        return None
    return DeviceInfo(serials.most_common(1)[0][0], "文件名")


def _from_device_files(root: Path) -> DeviceInfo | None:
    try:
        entries = {p.name.lower(): p for p in root.iterdir() if p.is_file()}
    except OSError:
        return None
    for name in DEVICE_FILES:
        path = entries.get(name)
        if path is None:
            continue
        try:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_DEVICE_FILE_BYTES)
        except OSError:
            continue
        serial, camera_time = _parse_device_text(_decode(raw))
        if serial:
            return DeviceInfo(serial.upper(), f"设备文件 {path.name}", camera_time)
    return None


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _parse_device_text(text: str) -> tuple[str, dt.datetime | None]:
    serial, camera_time = "", None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and SERIAL_RE.match(lines[0].strip()):
        return lines[0].strip(), None
    for line in lines:
        match = KEY_VALUE_RE.match(line)
        if not match:
            continue
        key = match[1].strip().lower().replace(" ", "")
        value = match[2].strip()
        if key in SERIAL_KEYS and SERIAL_RE.match(value) and not serial:
            serial = value
        elif key in TIME_KEYS and camera_time is None:
            try:
                camera_time = dt.datetime.strptime(value[:19], CLOCK_FORMAT)
            except ValueError:
                pass
    return serial, camera_time


def walk(root: Path) -> Iterator[CameraFile]:
    """Every regular media file under root (junk and unsupported types left on the camera)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            relative = path.relative_to(root).as_posix()
            if junk_reason(relative) or media_kind_of(name) is None:
                continue
            try:
                st = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            yield CameraFile(path, relative, st.st_size, st.st_mtime_ns)


def signature(root: Path) -> tuple:
    """Changes while files are still being written or copied onto the camera."""
    return tuple((f.relative_path, f.size, f.mtime_ns) for f in walk(root))


def write_clock(root: Path, platform_time: dt.datetime) -> str:
    """Set the camera's clock the common way: TIME.TXT in its root, read when undocked."""
    text = platform_time.strftime(CLOCK_FORMAT)
    path = root / CLOCK_FILE
    with open(path, "w", encoding="ascii") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return text
