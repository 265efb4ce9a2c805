"""`avrecords init`: create or migrate the database and store in AVRECORDS_HOME (idempotent)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from avrecords.jobs import queue
from avrecords.lib import leftovers
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
        self.stdout.write(f"已就绪：{settings.AVRECORDS_HOME}")
