"""`avrecords audit verify`: check the whole audit chain (X1)."""

from django.core.management.base import BaseCommand, CommandError

from avrecords.audit.services import verify_chain


class Command(BaseCommand):
    help = "审计日志：verify 校验整条哈希链"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"审计链校验失败：第 {result.first_bad_seq} 条记录异常（{result.problem}）；"
                f"此前 {result.checked} 条完好"
            )
        self.stdout.write(f"审计链完好：共校验 {result.checked} 条记录")
