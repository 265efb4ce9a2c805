"""`avrecords transfer_install --from OLD_HOME`: embedded installation → configured engines."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from avrecords.upgrade.transfer import TransferError, transfer


class Command(BaseCommand):
    help = "把单机安装（SQLite + 本地存储）迁入当前配置的数据库与存储，逐个校验哈希"

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="old_home", required=True, help="旧安装的 AVRECORDS_HOME 目录"
        )

    def handle(self, *args, old_home: str, **options):
        done = {"n": 0, "bytes": 0}

        def on_object(size: int) -> None:
            done["n"] += 1
            done["bytes"] += size
            if done["n"] % 100 == 0:
                self.stdout.write(f"已迁移 {done['n']} 个文件，{done['bytes'] / 1e6:.1f} MB")

        try:
            report = transfer(Path(old_home), on_object=on_object)
        except TransferError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        rows = sum(report.rows.values())
        self.stdout.write(
            f"迁移完成：{report.objects} 个文件（其中 {report.objects_already_present} 个目标已有），"
            f"{report.bytes / 1e6:.1f} MB，{rows} 行数据；审计日志 {report.audit_entries} 条校验通过；"
            f"用时 {report.seconds:.1f} 秒"
        )
