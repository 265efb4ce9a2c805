"""`avrecords retention classify|daily|check-store|purge|report` (M5).

- classify: compute the retention of every recording not yet classified (or all, --all).
- daily: what the worker does once a day: classify, then make the day's disposal lists.
- check-store: compare every computed date and hold with the store's own locks; extend
  shorter locks, set holds right, report the drift. Exit 1 if anything had drifted.
- purge LIST: purge an approved disposal list now (the worker does this by itself once a list
  is approved). `purge --recording ID` purges one recording of an approved list. Anything not
  approved, not yet due or held is refused, audited, exit 1.
- report: storage by category, what expires in 30 and 90 days, holds in force.
Exit status 2: bad arguments.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from avrecords.recordings.models import Recording
from avrecords.retention import dashboard
from avrecords.retention.approvals import Refused
from avrecords.retention.jobs import classify_unclassified
from avrecords.retention.models import DisposalList
from avrecords.retention.purge import purge_recording, run_list


class Command(BaseCommand):
    help = "保存期限与清除：classify 确定保存期限，daily 生成到期清单，check-store 核对存储锁定，purge 清除已批准清单，report 报告"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        classify = sub.add_parser("classify", help="确定尚未确定的音像记录保存期限")
        classify.add_argument("--all", action="store_true", help="全部重新计算（只会延长）")
        sub.add_parser("daily", help="确定保存期限并生成到期清除清单")
        sub.add_parser("check-store", help="核对存储锁定与计算的保存期限")
        purge = sub.add_parser("purge", help="清除已批准的清除清单")
        purge.add_argument("list", nargs="?", help="清除清单编号（如 QC-20281201-001）")
        purge.add_argument("--recording", type=int, help="只清除这一条音像记录")
        sub.add_parser("report", help="保存情况报告")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "classify":
            if options["all"]:
                from avrecords.retention.services import reclassify

                ids = Recording.objects.filter(purged_at__isnull=True).values_list("pk", flat=True)
                done = len(reclassify(list(ids), why="全部重新计算"))
            else:
                done = classify_unclassified()
            self.stdout.write(f"已确定 {done} 条音像记录的保存期限")
        elif action == "daily":
            from avrecords.retention.disposal import make_lists

            classify_unclassified()
            for disposal in make_lists():
                self.stdout.write(
                    f"已生成到期清除清单 {disposal.number}：{disposal.items.count()} 条"
                )
        elif action == "check-store":
            from avrecords.retention.storesync import check_all

            check = check_all()
            self.stdout.write(
                f"核对 {check.checked} 条：延长锁定 {check.extended}，纠正保全 {check.holds_fixed}，"
                f"存储锁定长于保存期限 {check.longer}，失败 {check.failed}"
            )
            for row in check.drift[:50]:
                self.stdout.write(f"  {row}")
            if check.extended or check.holds_fixed or check.failed:
                sys.exit(1)
        elif action == "purge":
            self._purge(options)
        else:
            for line in dashboard.report_lines():
                self.stdout.write(line)

    def _purge(self, options):
        try:
            if options["recording"]:
                recording = Recording.objects.filter(pk=options["recording"]).first()
                if recording is None:
                    raise CommandError(f"音像记录 {options['recording']} 不存在", returncode=2)
                outcome = purge_recording(None, recording, path="cli")
                self.stdout.write(f"{recording.original_name}：{outcome}")
                return
            if not options["list"]:
                raise CommandError("请给出清除清单编号或 --recording", returncode=2)
            disposal = DisposalList.objects.filter(number=options["list"]).first()
            if disposal is None:
                raise CommandError(f"清除清单 {options['list']} 不存在", returncode=2)
            tally = run_list(disposal, path="cli")
            self.stdout.write(f"清除清单 {disposal.number}：{tally}")
        except Refused as exc:
            self.stderr.write(f"拒绝清除：{exc}")
            sys.exit(1)
