"""station.toml: what the agent is told, checked before anything runs (issue 19 §2).

Every error names the key and says what is wrong in Chinese; the agent refuses to start on
any of them. The token is never written in the journal or the log.
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MAX_CONFIG_BYTES = 64 * 1024
MAX_TOKEN_BYTES = 512
WATCH_MODES = ("poll", "udev")
# where desktop Linux mounts removable disks (udisks2) and where a server's fstab puts them
DEFAULT_MOUNT_ROOTS = ["/media", "/run/media", "/mnt"]

EXAMPLE = """\
# 采集站代理配置（avrecords station run --config station.toml）
# 平台地址与采集站令牌：令牌在“采集站”页面登记或重新生成时只显示一次。
platform_url = "https://avrecords.example.gov.cn"
# 令牌文件只能由运行代理的账户读写（chmod 600）；也可直接写 token = "avr_..."
token_file = "/etc/avrecords-station/token"

# 记录仪接入方式：
#   "poll"：轮询一个目录，其中每个子目录是一台接入的记录仪（Windows 可用，
#           也可在 camera_paths 中列出盘符，如 ["E:\\\\", "F:\\\\"]）；
#   "udev"：Linux 上监视 U 盘模式挂载点（/media、/run/media 下；装有 pyudev 时即时发现）。
watch = "poll"
watch_directory = "/srv/avrecords-station/docks"
camera_paths = []
poll_seconds = 3

# 本地暂存目录与日志数据库（断电、重启后据此续传，已校验的文件不会重复上传）
spool = "/var/lib/avrecords-station/spool"
journal = "/var/lib/avrecords-station/journal.sqlite3"

parallel = 4                 # 同时处理的记录仪台数
part_mib = 8                 # 每次上传的分片大小（MiB）
erase_after_verify = false   # 平台校验值与本地一致后，从记录仪上删除该文件
set_camera_clock = false     # 在记录仪根目录写入 TIME.TXT（平台时间）以校时
# heartbeat_seconds = 60     # 心跳间隔；缺省取平台给出的值
# direct = false             # 采集站即平台主机时直接导入（不经网络）
# filename_patterns = []     # 额外的文件名规则（与平台 AVRECORDS_FILENAME_PATTERNS 一致）
"""


class ConfigError(ValueError):
    """station.toml cannot be used; the message names the key (Chinese)."""


@dataclass(frozen=True)
class AgentConfig:
    """The checked contents of station.toml."""

    path: Path
    platform_url: str
    token: str
    watch: str
    watch_directory: Path | None
    camera_paths: list[Path]
    mount_roots: list[Path]
    poll_seconds: float
    spool: Path
    journal: Path
    parallel: int
    part_bytes: int
    erase_after_verify: bool
    set_camera_clock: bool
    heartbeat_seconds: int | None
    direct: bool
    filename_patterns: list[str] = field(default_factory=list)
    timeout_seconds: float = 30.0

    @property
    def uploads_url(self) -> str:
        return f"{self.platform_url}/api/v1/uploads/"

    def api_url(self, path: str) -> str:
        return f"{self.platform_url}/api/v1/station/{path}"


KNOWN_KEYS = {
    "platform_url",
    "token",
    "token_file",
    "watch",
    "watch_directory",
    "camera_paths",
    "mount_roots",
    "poll_seconds",
    "spool",
    "journal",
    "parallel",
    "part_mib",
    "erase_after_verify",
    "set_camera_clock",
    "heartbeat_seconds",
    "direct",
    "filename_patterns",
    "timeout_seconds",
}


def load(path: Path) -> AgentConfig:
    """Read and check station.toml; ConfigError names the first wrong key."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror or exc}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"配置文件 {path} 过大（超过 {MAX_CONFIG_BYTES // 1024} KiB）")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 编码") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    return parse(data, path)


def parse(data: dict, path: Path) -> AgentConfig:
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"未知的配置项：{'、'.join(unknown)}")
    base = path.parent
    url = _text(data, "platform_url", required=True).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("platform_url：应为 http:// 或 https:// 开头的平台地址")
    watch = _text(data, "watch", default="poll")
    if watch not in WATCH_MODES:
        raise ConfigError('watch：只能是 "poll"（轮询目录）或 "udev"（Linux 挂载点）')
    watch_directory = _path(data, "watch_directory", base)
    camera_paths = [Path(p) for p in _list_of_text(data, "camera_paths")]
    if watch == "poll" and watch_directory is None and not camera_paths:
        raise ConfigError('watch_directory：watch = "poll" 时须给出目录（或在 camera_paths 中列出)')
    mount_roots = [Path(p) for p in _list_of_text(data, "mount_roots")] or [
        Path(p) for p in DEFAULT_MOUNT_ROOTS
    ]
    heartbeat = data.get("heartbeat_seconds")
    if heartbeat is not None:
        heartbeat = _int(data, "heartbeat_seconds", 1, 3600, 60)
    return AgentConfig(
        path=path,
        platform_url=url,
        token=_token(data, base),
        watch=watch,
        watch_directory=watch_directory,
        camera_paths=camera_paths,
        mount_roots=mount_roots,
        poll_seconds=_number(data, "poll_seconds", 0.1, 3600, 3),
        spool=_path(data, "spool", base, required=True),
        journal=_path(data, "journal", base, required=True),
        parallel=_int(data, "parallel", 1, 32, 4),
        part_bytes=_int(data, "part_mib", 1, 256, 8) * 1024 * 1024,
        erase_after_verify=_bool(data, "erase_after_verify", False),
        set_camera_clock=_bool(data, "set_camera_clock", False),
        heartbeat_seconds=heartbeat,
        direct=_bool(data, "direct", False),
        filename_patterns=_list_of_text(data, "filename_patterns"),
        timeout_seconds=_number(data, "timeout_seconds", 1, 3600, 30),
    )


def _token(data: dict, base: Path) -> str:
    if "token" in data and "token_file" in data:
        raise ConfigError("token 与 token_file 只能给出一个")
    if "token" in data:
        token = _text(data, "token", required=True)
    else:
        token_file = _path(data, "token_file", base)
        if token_file is None:
            raise ConfigError("token_file：缺少采集站令牌（token_file 或 token）")
        try:
            st = token_file.stat()
            if sys.platform != "win32" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ConfigError(
                    f"token_file：{token_file} 的权限过宽（{stat.S_IMODE(st.st_mode):o}），"
                    f"其他账户可读；请执行 chmod 600 {token_file}"
                )
            with open(token_file, "rb") as fh:
                raw = fh.read(MAX_TOKEN_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"token_file：无法读取 {token_file}：{exc.strerror or exc}") from exc
        if len(raw) > MAX_TOKEN_BYTES:
            raise ConfigError(f"token_file：{token_file} 不像令牌文件（过大）")
        try:
            token = raw.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise ConfigError(f"token_file：{token_file} 中的令牌含有非 ASCII 字符") from exc
    if not token.startswith("avr_") or any(ch.isspace() for ch in token):
        raise ConfigError("token：不是平台签发的采集站令牌（应以 avr_ 开头）")
    return token


def _text(data: dict, key: str, *, required: bool = False, default: str = "") -> str:
    if key not in data:
        if required:
            raise ConfigError(f"{key}：缺少此项")
        return default
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}：应为非空字符串")
    return value.strip()


def _path(data: dict, key: str, base: Path, *, required: bool = False) -> Path | None:
    if key not in data and not required:
        return None
    path = Path(os.path.expanduser(_text(data, key, required=True)))
    return path if path.is_absolute() else base / path


def _list_of_text(data: dict, key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f'{key}：应为字符串列表，如 ["E:\\\\"]')
    return value


def _bool(data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}：应为 true 或 false")
    return value


def _int(data: dict, key: str, low: int, high: int, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}：应为 {low} 到 {high} 之间的整数")
    return value


def _number(data: dict, key: str, low: float, high: float, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{key}：应为 {low:g} 到 {high:g} 之间的数")
    return float(value)
