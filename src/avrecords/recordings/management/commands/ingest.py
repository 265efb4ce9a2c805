"""`avrecords ingest PATH --station NAME`: import a camera dump at a collection station (M1).

Exit status: 0 all files accounted for; 1 some files failed to read (nothing partial kept);
2 bad arguments (no such path, unknown station or operator); 3 import aborted (store full,
or the S3 store unavailable: that file is failed, the rest waits for a re-run).
"""

import itertools
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from avrecords.equipment.models import Station
from avrecords.org.models import User
from avrecords.recordings.ingest import ingest_directory, walk_files
from avrecords.recordings.models import IngestSource

OUTCOME_LABELS = {
    "imported": "新导入",
    "duplicate": "重复",
    "quarantined": "隔离",
    "skipped": "跳过",
    "failed": "失败",
}


class Command(BaseCommand):
    help = "从采集站导入记录仪文件（记录仪以 U 盘模式挂载的目录）"
    # Station scripts run this once per camera; Django's system checks (URL resolver and
    # all) cost ~0.5 s of every run and are already run by init, serve, worker and CI.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="记录仪存储目录，如 /media/CAMERA")
        parser.add_argument("--station", required=True, help="采集站名称（须已登记）")
        parser.add_argument("--operator", help="操作人用户名（缺省为系统）")
        parser.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
        parser.add_argument(
            "--erase-after-verify",
            action="store_true",
            help="入库副本复核一致后从设备上删除该文件",
        )

    def handle(self, *args, **options):
        root = Path(options["path"])
        if not root.exists():
            raise CommandError(f"路径不存在：{root}", returncode=2)
        if not root.is_dir():
            raise CommandError(f"不是目录：{root}", returncode=2)
        station = Station.objects.filter(name=options["station"]).select_related("unit").first()
        if station is None:
            known = "、".join(Station.objects.values_list("name", flat=True)[:10]) or "（尚无）"
            raise CommandError(
                f"未登记的采集站：{options['station']}；已登记：{known}", returncode=2
            )
        if station.retired_at is not None:  # issue 19 §1: a retired station imports nothing
            raise CommandError(f"采集站“{station.name}”已停用，不能导入", returncode=2)
        operator = None
        if options["operator"]:
            operator = User.objects.filter(username=options["operator"], is_active=True).first()
            if operator is None:
                raise CommandError(f"未知的操作人：{options['operator']}", returncode=2)

        as_json = options["json"]
        done = itertools.count(1)
        files = [p for p, _ in walk_files(root) if p.is_file()]
        total_bytes = sum(p.stat().st_size for p in files)
        from tqdm import tqdm  # the progress bar's library loads with a run, not its --help

        bar = tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="导入",
            disable=as_json or None,
            file=sys.stderr,
        )
        summary = ingest_directory(
            root,
            source=IngestSource.STATION,
            station=station,
            operator=operator,
            erase_after_verify=options["erase_after_verify"],
            progress=bar.update,
            on_file=lambda _result: bar.set_postfix_str(f"{next(done)}/{len(files)} 个文件"),
        )
        bar.close()
        report = summary.as_dict()
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            self._print_summary(report)
        if summary.aborted:
            raise CommandError(summary.aborted, returncode=3)
        if report["counts"]["failed"]:
            raise CommandError(
                f"{report['counts']['failed']} 个文件读取失败，未导入（详见上表）", returncode=1
            )

    def _print_summary(self, report: dict) -> None:
        counts = report["counts"]
        parts = "，".join(f"{OUTCOME_LABELS[k]} {v}" for k, v in counts.items())
        self.stdout.write(f"批次 #{report['batch_id']}：{parts}")
        self.stdout.write(
            f"共 {report['bytes'] / 1e6:.1f} MB，用时 {report['seconds']:.1f} 秒，"
            f"{report['throughput_mb_s']:.1f} MB/s"
        )
        for item in report["files"]:
            if item["outcome"] != "imported" or item["reason"]:
                self.stdout.write(
                    f"  [{OUTCOME_LABELS[item['outcome']]}] {item['path']}：{item['reason']}"
                )
