"""`avrecords init`: create or migrate the database and store in AVRECORDS_HOME (idempotent)."""

import errno
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from avrecords.audit import anchors
from avrecords.jobs import queue
from avrecords.lib import leftovers, private_files, signing
from avrecords.lib.storage import get_store


class Command(BaseCommand):
    help = "创建或升级数据库与存储目录"

    def handle(self, *args, **options):
        for path in (settings.AVRECORDS_HOME / "tmp", settings.AVRECORDS_DERIVED_PATH):
            path.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        queue.prepare()  # the job queue's tables, when it is on PostgreSQL
        store = get_store()
        store.cleanup_incomplete()
        leftovers.clean()
        self._signing_key()
        self._private_files()
        self.stdout.write(f"已就绪：{settings.AVRECORDS_HOME}")

    def _signing_key(self):
        """The key that signs the audit chain's anchors and evidence packages (X1)."""
        try:
            signer, made = anchors.ensure_key()
        except anchors.AnchorRefused as exc:
            raise CommandError(str(exc)) from exc
        state = "已生成" if made else "已存在"
        self.stdout.write(
            f"审计签名密钥{state}：{settings.AVRECORDS_AUDIT_KEY_PATH}（{signer.algorithm}）\n"
            f"  公钥指纹 {signing.grouped(signer.public.fingerprint)}"
        )

    def _private_files(self):
        """Nothing of the installation readable by other local users (issue 15, row 8)."""
        result = private_files.tighten(installation_paths())
        if result.changed:
            self.stdout.write(
                f"已收紧文件权限（仅服务账户可访问）：{len(result.changed)} 处"
                "（目录改为 0700，文件去掉同组及其他用户的权限）"
            )
            for path, before, after in result.changed[:SHOWN_PATHS]:
                self.stdout.write(f"  {path}：{before:04o} → {after:04o}")
            if len(result.changed) > SHOWN_PATHS:
                self.stdout.write(f"  ……另有 {len(result.changed) - SHOWN_PATHS} 处")
        for path, exc in result.failed[:SHOWN_PATHS]:
            why = (
                "无权修改，请以服务账户运行"
                if exc.errno in (errno.EPERM, errno.EACCES)
                else "无法修改"
            )
            self.stderr.write(f"未能收紧权限：{path}（{why}）")


SHOWN_PATHS = 20


def installation_paths() -> list[Path]:
    """Where the installation keeps data on this host: AVRECORDS_HOME, and the local store,
    derived copies, evidence exports and an SQLite database wherever they are configured."""
    paths = [
        settings.AVRECORDS_HOME,
        settings.AVRECORDS_DERIVED_PATH,
        settings.AVRECORDS_EXPORT_PATH,
        settings.AVRECORDS_AUDIT_ANCHOR_DIR,
        settings.AVRECORDS_AUDIT_KEY_PATH,  # the file, not its folder: that may be anyone's
    ]
    if settings.AVRECORDS_STORE == "local":
        paths.append(settings.AVRECORDS_STORE_PATH)
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(str(database["NAME"]))
        paths += [name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")]
    return paths
