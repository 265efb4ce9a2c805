from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "avrecords.retention"
    verbose_name = "保存期限与清除"

    def ready(self) -> None:
        from avrecords.jobs import periodic
        from avrecords.retention import (
            jobs,  # registers the job handlers
            panels,
            subscribers,
            worklist_sources,
        )

        panels.register()  # the 保存期限 box and the destruction record on recording pages
        subscribers.connect()
        worklist_sources.register()  # 待办: disposal lists, hold releases, shortenings

        # M5: the day's disposal lists and classification, the nightly store check
        periodic.register("retention.daily", jobs.enqueue_daily)
