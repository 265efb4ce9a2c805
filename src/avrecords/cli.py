"""The `avrecords` command: init, demo, serve, worker, ingest, station, audit verify, fixity, and any manage.py command.

Exit status is 0 on success; otherwise non-zero with a one-line reason on stderr
(4 for an unexpected internal error, whose traceback goes to AVRECORDS_HOME/logs/cli-errors.log).
"""

from __future__ import annotations

import os
import sys

from avrecords.lib.private_files import make_private

USAGE = """用法: avrecords <命令> [参数]

  init                 创建或升级 AVRECORDS_HOME 中的数据库与存储（可重复执行）
  createadmin [--username 用户名 --full-name 姓名 --password-file 文件|-]
                       创建第一个系统管理员（已有系统管理员时拒绝）
  demo                 载入演示单位、人员、设备与录像
  serve [--port 8000]  启动网页服务
  worker               启动后台处理进程
  ingest 路径 --station 站点名 [--json] [--erase-after-verify]
                       从采集站导入记录仪文件
  station run|check|status|example-config --config station.toml
                       采集站代理：监视记录仪接入并断点续传上传到平台（见 docs/deployment.md）
  audit verify [--anchors 目录 [--public-key 公钥文件]]
                       校验审计日志哈希链；给出锚定目录时证明锚定前的记录未被改写
  audit anchor         立即对审计日志签名锚定（写入锚定目录）
  fixity sweep [--max-gb N] [--rate-mb-s N]
                       立即重新校验原始文件的哈希值
  fixity report [--json]
                       完整性校验覆盖情况与未确认告警（有告警时退出码为 1）
  retention classify|daily|check-store|report
                       保存期限：确定期限、生成到期清除清单、核对存储锁定、报告
  retention purge 清单编号 | --recording ID
                       清除已复核并批准的到期清单（未到期、保全中或未批准的一律拒绝）
  transfer_install --from 旧目录
                       把单机安装（SQLite + 本地存储）迁入当前配置的数据库与存储
  其余命令同 Django manage.py（如 createsuperuser、shell）
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    # Before anything is created: the database, keys and originals are the service user's
    # alone, in every command (serve, worker, ingest, init, …; issue 15, row 8).
    make_private()
    if len(argv) >= 2 and argv[1] == "station":
        # the station agent runs on a PC without the platform's database: no Django set-up
        from avrecords.agent.commands import main as station_main

        return station_main(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    try:
        _set_up_django()
    except Exception as exc:  # configuration errors must be one readable line
        print(f"avrecords: 配置错误：{exc}", file=sys.stderr)
        return 2
    from django.core.management import ManagementUtility
    from django.core.management.base import CommandError

    command = {"init": "avinit", "demo": "avdemo", "serve": "serve"}.get(argv[1], argv[1])
    rest = argv[2:]
    try:
        utility = ManagementUtility([argv[0], command, *rest])
        cmd = utility.fetch_command(command)
        cmd._called_from_command_line = True
        parser = cmd.create_parser(argv[0], argv[1])
        options = vars(parser.parse_args(rest))
        positional = options.pop("args", ())
        if command in STORE_CHECKED_COMMANDS:
            _require_store_ready()
        cmd.execute(*positional, **options)
        if command == "avinit":
            _next_step()
    except CommandError as exc:
        print(f"avrecords: {exc}", file=sys.stderr)
        return getattr(exc, "returncode", 1) or 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("avrecords: 已中断", file=sys.stderr)
        return 130
    except Exception as exc:
        log_path = _log_crash(argv)
        print(
            f"avrecords: 内部错误（{type(exc).__name__}: {exc}），详情见 {log_path}",
            file=sys.stderr,
        )
        return 4
    return 0


def _set_up_django() -> None:
    """django.setup() with the cyclic garbage collector paused (issue 22 §1).

    Setting up loads some 900 modules whose objects live as long as the process; the
    collector's passes over them while they load, and its last pass at exit, took some 30 %
    of a command's CPU time at start-up. So at a process's first set-up the collector waits, and
    the objects loaded are then frozen out of every later collection (gc.freeze, as a
    pre-fork server does). Garbage made afterwards is collected as before. A process already
    set up (the tests call main() again) is left as it is.
    """
    import gc

    import django
    from django.apps import apps

    first = not apps.ready
    if first:
        gc.disable()
    try:
        django.setup()
    finally:
        if first:
            gc.freeze()
            gc.enable()


# Processes that write or serve originals refuse to start on a store that cannot keep them
# write-once (M2): wrong S3 credentials, a missing bucket, a bucket without Object Lock.
STORE_CHECKED_COMMANDS = {"avinit", "serve", "worker", "ingest", "avdemo", "transfer_install"}


def _require_store_ready() -> None:
    import logging

    from django.core.management.base import CommandError

    from avrecords.lib.storage import get_store
    from avrecords.lib.storage.base import StoreNotReady

    try:
        store = get_store()
    except ValueError as exc:  # e.g. botocore's "Invalid endpoint"
        raise CommandError(f"配置错误：{exc}", returncode=2) from exc
    try:
        store.verify_ready()
    except StoreNotReady as exc:
        logging.getLogger("avrecords.storage").error("store not ready: %s", exc)
        raise CommandError(exc.user_message, returncode=exc.returncode) from exc


def _next_step() -> None:
    """After init, on an installation with nobody yet: how to make the first system
    administrator, and the one-time code the page asks for (issue 18 §4)."""
    from avrecords.agency import first_admin

    code = first_admin.issue_code()
    if code is not None:
        print(
            "尚未设置系统管理员。下一步：运行 avrecords createadmin，"
            "或在浏览器中打开 /setup/first-admin/ 并输入一次性设置码：\n"
            f"  {code}\n"
            f"  （已保存在 {first_admin.code_path()}，仅服务账户可读，使用后即删除）"
        )
    elif first_admin.existing_admin() is None:
        print("尚无系统管理员。下一步：运行 avrecords createadmin")


def _log_crash(argv: list[str]) -> str:
    """Keep the traceback for the operator's support request; the console gets one line."""
    import datetime as dt
    import traceback

    from django.conf import settings

    log_dir = settings.AVRECORDS_HOME / "logs"
    log_dir.mkdir(exist_ok=True)
    path = log_dir / "cli-errors.log"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(
            f"--- {dt.datetime.now().isoformat()} {' '.join(argv[1:])}\n{traceback.format_exc()}\n"
        )
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
