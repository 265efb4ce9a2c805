"""`avrecords station …` (issue 19 §2): run the agent, check its set-up, show its queue.

  avrecords station run --config station.toml [--once]
  avrecords station check --config station.toml
  avrecords station status --config station.toml
  avrecords station example-config

Exit status: 0 done; 1 some files not finished (or the platform unreachable); 2 a wrong
configuration (the key is named); 3 the platform refused the station's token (the agent stops).
Operators read Chinese lines on standard output; the log (English) goes to standard error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
from pathlib import Path

from avrecords.agent import cameras
from avrecords.agent.config import EXAMPLE, ConfigError, load
from avrecords.agent.journal import EVENT_LABELS, STATE_LABELS, Journal

USAGE = """用法: avrecords station <命令> --config station.toml

  run [--once]      启动采集站代理：监视记录仪接入、复制校验、断点续传上传
                    （--once：处理当前已接入的记录仪后退出）
  check             检查配置、令牌与平台连接，列出当前接入的记录仪
  status            显示本地日志中的上传队列与最近事件
  example-config    输出一份带说明的配置文件示例
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "example-config":
        sys.stdout.write(EXAMPLE)
        return 0
    if command not in {"run", "check", "status"}:
        print(f"avrecords station: 未知命令 {command}\n{USAGE}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog=f"avrecords station {command}", add_help=True)
    parser.add_argument("--config", required=True, type=Path, help="配置文件 station.toml")
    if command == "run":
        parser.add_argument("--once", action="store_true", help="处理当前已接入的记录仪后退出")
    try:
        options = parser.parse_args(rest)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        config = load(options.config)
    except ConfigError as exc:
        print(f"avrecords station: 配置错误：{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    if command == "status":
        return status(config)
    if command == "check":
        return check(config)
    return run(config, once=options.once)


def _say(line: str) -> None:
    print(line, flush=True)


def run(config, *, once: bool) -> int:
    from avrecords.agent.runner import Agent

    agent = Agent(config, once=once, say=_say)

    def stop(signum, frame):  # SIGTERM from systemd or the service manager: finish the part
        _say("收到停止信号，完成当前分片后退出")
        agent.stop.set()

    signal.signal(signal.SIGTERM, stop)
    try:
        return agent.run()
    except KeyboardInterrupt:
        _say("已中断")
        return 130
    finally:
        agent.journal.close()


def check(config) -> int:
    from avrecords.agent.platform import Platform, PlatformDown, TokenRefused, UploadRefused

    _say(f"配置文件：{config.path}（格式正确）")
    try:
        if config.direct:
            from avrecords.agent.direct import DirectPlatform

            me = DirectPlatform(config).me()
        else:
            me = Platform(config).me()
    except TokenRefused as exc:
        _say(f"平台拒绝了采集站令牌：{exc}")
        return 3
    except (PlatformDown, UploadRefused) as exc:
        _say(f"无法连接平台 {config.platform_url}：{exc}")
        return 1
    _say(f"平台：{config.platform_url}，采集站“{me.get('name')}”（{me.get('unit')}）")
    roots = cameras.discover(config)
    if not roots:
        _say("当前没有接入的记录仪")
    for root in roots:
        info = cameras.read_device_info(root, config.filename_patterns)
        serial = f"序列号 {info.serial}（取自{info.source}）" if info else "无法识别序列号"
        _say(f"接入：{root}：{serial}")
    return 0


def status(config) -> int:
    if not config.journal.exists():
        _say(f"尚无本地日志（{config.journal}）：代理还没有运行过")
        return 0
    journal = Journal(config.journal)
    try:
        counts = journal.counts()
        files, size = journal.pending()
        summary = "，".join(f"{STATE_LABELS[s]} {n}" for s, n in sorted(counts.items()) if n)
        _say(f"本地日志：{config.journal}")
        _say(f"文件：{summary or '无'}；待上传 {files} 个，共 {size / 1e6:.1f} MB")
        for row in journal.unfinished(20):
            sent = f"，已发送 {row.bytes_sent / 1e6:.1f} MB" if row.bytes_sent else ""
            reason = f"：{row.reason}" if row.reason else ""
            _say(
                f"  [{STATE_LABELS[row.state]}] {row.serial} {row.relative_path}"
                f"（{row.size / 1e6:.1f} MB{sent}）{reason}"
            )
        events = journal.events(10)
        if events:
            _say("最近事件：")
        for at, _serial, kind, message in events:
            local = dt.datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
            _say(f"  {local} [{EVENT_LABELS.get(kind, kind)}] {message}")
    finally:
        journal.close()
    return 0
