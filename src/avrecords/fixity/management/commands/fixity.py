"""`avrecords fixity sweep|report`: re-verify originals now, or report coverage and alarms (M2).

Exit status of `fixity sweep`: 0 every original checked was intact (or none was due);
1 a mismatch or a missing object was found (an alarm); 3 no alarm, but some originals
could not be read (they are tried first by the next sweep).
Exit status of `fixity report`: 0 no open alarm; 1 open alarms exist (listed).
Both: 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils import timezone

from avrecords.fixity import conf, services
from avrecords.fixity.models import FixityState, Outcome
from avrecords.fixity.sweep import sweep
from avrecords.recordings.models import Recording

OUTCOME_LABELS = dict(Outcome.choices)
STOPPED_LABELS = {
    "done": "全部到期的原始文件已校验",
    "bytes": "达到本次读取量上限",
    "seconds": "达到本次时间上限",
    "errors": "连续读取出错，存储可能不可用，已中止",
}
GB = 1_000_000_000


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"不是数字：{text}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"不能为负数：{text}")
    return value


class Command(BaseCommand):
    help = "原始文件完整性校验：sweep 立即校验，report 报告覆盖情况与未确认告警"
    # Django's system checks (URL resolver, API schema…) cost ~1 s of every run and are
    # already run by init, serve, worker and CI; scripts call `fixity report` often.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "sweep", help="重新读取并校验原始文件（从未校验的优先，其次最久未校验的）"
        )
        run.add_argument("--max-gb", type=_positive, help="本次最多读取的 GB 数（缺省不限）")
        run.add_argument(
            "--rate-mb-s",
            type=_positive,
            help=f"读取速率上限 MB/s，0 为不限（缺省 {conf.RATE_MB_S}）",
        )
        run.add_argument("--max-seconds", type=_positive, help="本次最长用时（秒，缺省不限）")
        run.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
        report = sub.add_parser("report", help="各结果数量、校验覆盖情况与未确认告警")
        report.add_argument("--json", action="store_true", help="以一个 JSON 对象输出")
        report.add_argument(
            "--days",
            type=int,
            default=conf.COVERAGE_DAYS,
            help=f"覆盖统计的天数（缺省 {conf.COVERAGE_DAYS}）",
        )

    def handle(self, *args, **options):
        if options["action"] == "sweep":
            self._sweep(options)
        else:
            self._report(options)

    # --- sweep ---------------------------------------------------------------------------

    def _sweep(self, options) -> None:
        max_bytes = int(options["max_gb"] * GB) if options["max_gb"] else None
        rate = options["rate_mb_s"]
        total = Recording.objects.aggregate(n=Sum("size_bytes"))["n"] or 0
        from tqdm import tqdm  # the progress bar's library loads with a run, not its --help

        bar = tqdm(
            total=min(total, max_bytes) if max_bytes else total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="校验",
            file=sys.stderr,
            disable=options["json"] or None,
        )
        checked = 0

        def on_check(check) -> None:
            nonlocal checked
            checked += 1
            bar.set_postfix_str(f"{checked} 个文件")
            if check.outcome != Outcome.OK:
                bar.write(
                    f"  [{OUTCOME_LABELS[check.outcome]}] #{check.recording_id} "
                    f"{check.recording.original_name}" + (f"：{check.error}" if check.error else "")
                )

        summary = sweep(
            max_bytes=max_bytes,
            max_seconds=options["max_seconds"],
            rate_bytes_per_second=None if rate is None else rate * conf.MB,
            progress=bar.update,
            on_check=on_check,
        )
        bar.close()
        counts = summary.counts
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
        else:
            self._print_sweep(summary)
        if summary.bad:
            raise CommandError(
                f"发现 {summary.bad} 个原始文件哈希不符或缺失，已告警并记入审计日志", returncode=1
            )
        if counts[Outcome.ERROR]:
            raise CommandError(
                f"{counts[Outcome.ERROR]} 个原始文件读取出错，下次校验将优先重试", returncode=3
            )

    def _print_sweep(self, summary) -> None:
        counts = summary.counts
        parts = "，".join(f"{OUTCOME_LABELS[o]} {counts[o]}" for o in Outcome.values)
        self.stdout.write(f"校验 {summary.checked} 个原始文件：{parts}")
        self.stdout.write(
            f"共读取 {summary.bytes_read / conf.MB:.1f} MB，用时 {summary.seconds:.1f} 秒，"
            f"{summary.throughput_mb_s:.1f} MB/s；{STOPPED_LABELS[summary.stopped]}"
        )
        if summary.alarms:
            self.stdout.write(f"新告警 {len(summary.alarms)} 条，详见 `avrecords fixity report`")

    # --- report --------------------------------------------------------------------------

    def _report(self, options) -> None:
        if options["days"] < 1:
            raise CommandError("--days 须为正整数", returncode=2)
        cov = services.coverage(days=options["days"])
        alarms = list(services.open_alarms())
        data = {
            "originals": cov.originals,
            "by_outcome": cov.by_outcome,
            "never_checked": cov.never_checked,
            "coverage_days": cov.days,
            "checked_within_days": cov.checked_within,
            "checks_within_days": cov.checks_within,
            "oldest_check": cov.oldest_check.isoformat() if cov.oldest_check else None,
            "newest_check": cov.newest_check.isoformat() if cov.newest_check else None,
            "states": FixityState.objects.count(),
            "open_alarms": [
                {
                    "id": a.pk,
                    "recording_id": a.recording_id,
                    "original_name": a.recording.original_name,
                    "outcome": a.outcome,
                    "expected_sha256": a.expected_sha256,
                    "observed_sha256": a.observed_sha256,
                    "storage_key": a.storage_key,
                    "error": a.error,
                    "checked_at": a.checked_at.isoformat(),
                }
                for a in alarms
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self._print_report(cov, alarms)
        if alarms:
            raise CommandError(f"有 {len(alarms)} 条完整性告警未确认", returncode=1)

    def _print_report(self, cov, alarms) -> None:
        def local(value) -> str:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "—"

        w = self.stdout.write
        w(f"原始文件 {cov.originals} 个；从未校验 {cov.never_checked} 个")
        w(
            f"近 {cov.days} 天已校验 {cov.checked_within} 个（{cov.percent_within:.1f}%）；"
            f"最久未校验者的上次校验 {local(cov.oldest_check)}；"
            f"最近一次校验 {local(cov.newest_check)}"
        )
        w(
            "按最近一次结论："
            + "，".join(f"{OUTCOME_LABELS[o]} {cov.by_outcome[o]}" for o in Outcome.values)
        )
        w(
            f"近 {cov.days} 天校验次数："
            + "，".join(f"{OUTCOME_LABELS[o]} {cov.checks_within[o]}" for o in Outcome.values)
        )
        if not alarms:
            w("没有未确认的完整性告警")
            return
        w(f"未确认的完整性告警 {len(alarms)} 条：")
        for a in alarms:
            w(
                f"  告警 #{a.pk} {local(a.checked_at)} [{OUTCOME_LABELS[a.outcome]}] "
                f"音像记录 #{a.recording_id} {a.recording.original_name}"
            )
            w(f"    应有 SHA-256 {a.expected_sha256}")
            w(f"    实测 SHA-256 {a.observed_sha256 or '（未能读出）'}")
            if a.error:
                w(f"    {a.error}")
