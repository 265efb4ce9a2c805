from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "avrecords.evidence"
    verbose_name = "证据导出与光盘"

    def ready(self):
        from avrecords import worklist
        from avrecords.evidence import (
            services,  # noqa: F401  (registers the package job)
            subscribers,
        )

        subscribers.connect()
        # 待办, imported on first use (avrecords.worklist): discs to burn and register
        worklist.register_module("avrecords.evidence.worklist_sources")
