"""`avrecords seed_recordings --count N`: fake recording rows for search benchmarks (M4).

Refuses a database holding data it did not make (see `avrecords.demo.seed`) unless --force.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from avrecords.demo import seed as seeding


class Command(BaseCommand):
    help = "生成用于检索性能测试与演示的模拟音像记录（仅数据库记录，无媒体文件）"

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="新增记录条数")
        parser.add_argument("--seed", type=int, default=1, help="随机数种子（默认 1）")
        parser.add_argument(
            "--force",
            action="store_true",
            help="数据库中已有非模拟数据时仍然写入（模拟记录没有媒体文件，切勿用于正式库）",
        )

    def handle(self, *args, count, seed: int, force: bool, **options):
        if count < 1:
            raise CommandError("--count 必须大于 0")
        done = 0
        started = time.monotonic()
        last = [started]

        def progress(rows: int) -> None:
            nonlocal done
            done += rows
            now = time.monotonic()
            if now - last[0] >= 10 or done == count:
                last[0] = now
                rate = done / max(now - started, 1e-9)
                self.stderr.write(f"已写入 {done}/{count} 条（{rate:,.0f} 条/秒）")

        try:
            report = seeding.seed(count, seed=seed, force=force, progress=progress)
        except seeding.SeedRefused as exc:
            raise CommandError(
                f"数据库中已有非模拟数据（{exc}），拒绝写入模拟记录；"
                "模拟记录没有媒体文件，只能用于测试库。确需写入请加 --force"
            ) from exc
        self.stdout.write(
            f"已生成 {report.rows} 条模拟记录（模拟记录共 {report.total_seeded} 条，"
            f"{report.units} 个单位，{report.officers} 名执法人员），用时 {report.seconds:.1f} 秒："
            f"组织与准备 {report.skeleton_seconds:.1f} 秒，写入 {report.rows_seconds:.1f} 秒，"
            f"重建索引 {report.index_seconds:.1f} 秒，VACUUM/ANALYZE {report.vacuum_seconds:.1f} 秒"
        )
        self.stdout.write(
            f"模拟账号用户名以 {seeding.USER_PREFIX} 开头，密码均为 {seeding.PASSWORD}"
        )
