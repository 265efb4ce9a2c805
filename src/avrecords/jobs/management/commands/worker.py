"""`avrecords worker`: the Huey consumer plus the reaper that re-queues jobs of dead workers
and runs the periodic steps the apps registered (`jobs.periodic`).

If the database is unreachable the worker stays up: the reaper and every job step back off
(exponentially, capped, logged) and carry on when it returns (issue 3, "Database down").
"""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from huey.contrib.djhuey import HUEY

from avrecords.jobs import dbwait, periodic, queue, services
from avrecords.lib import leftovers

log = logging.getLogger("avrecords.worker")


def reaper_pass() -> None:
    """One pass of the reaper thread: dead workers' jobs queued again, leftovers removed,
    then every app's periodic steps (fixity's sweep, retention's day, audit's anchor…)."""
    services.reap()
    leftovers.clean()
    periodic.run_all()


class Command(BaseCommand):
    help = "启动后台处理进程（缩略图、播放代理等）"

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=None, help="并行任务数")

    def handle(self, *args, **options):
        import avrecords.lib.huey_tasks  # noqa: F401  (registers the Huey task)

        stop = threading.Event()
        dbwait.call_with_retry(queue.prepare, errors=queue.QUEUE_UNAVAILABLE)

        def reap_forever():
            while not stop.is_set():
                try:
                    close_old_connections()
                    reaper_pass()
                except dbwait.DB_UNAVAILABLE as exc:
                    log.warning(
                        "reaper pass failed, database unavailable (%s)", dbwait.describe(exc)
                    )
                    dbwait.wait_for_database(stop)
                except Exception:
                    log.exception("reaper pass failed")
                stop.wait(settings.AVRECORDS_JOB_REAP_SECONDS)

        threading.Thread(target=reap_forever, name="reaper", daemon=True).start()
        workers = options["threads"] or settings.HUEY["consumer"]["workers"]
        # SIGTERM (systemd, docker stop) finishes running jobs before exiting; a job cut off
        # anyway (SIGKILL) is re-run by another worker once its lease expires.
        consumer = HUEY.create_consumer(
            workers=workers, worker_type="thread", periodic=False, graceful_signal="TERM"
        )
        # A job waiting for the database must not hold up a graceful stop.
        dbwait.stop_waiting_when(consumer.stop_flag)
        self.stdout.write(f"后台处理进程已启动（{workers} 个线程）")
        try:
            consumer.run()
        finally:
            stop.set()
