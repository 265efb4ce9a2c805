from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "avrecords.retention"
    verbose_name = "保存期限与清除"

    def ready(self) -> None:
        from avrecords import panels, worklist
        from avrecords.jobs import periodic
        from avrecords.retention import (
            jobs,  # registers the job handlers
            subscribers,
        )

        # the 保存期限 box and the destruction record on recording pages, on first use
        panels.register_module("avrecords.retention.panels")
        subscribers.connect()
        # 待办, imported on first use: disposal lists, hold releases, shortenings
        worklist.register_module("avrecords.retention.worklist_sources")

        # M5: the day's disposal lists and classification, the nightly store check
        periodic.register("retention.daily", jobs.enqueue_daily)
