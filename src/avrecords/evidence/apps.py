from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "avrecords.evidence"
    verbose_name = "证据导出与光盘"

    def ready(self):
        from avrecords.evidence import (
            services,  # noqa: F401  (registers the package job)
            subscribers,
            worklist_sources,
        )

        subscribers.connect()
        worklist_sources.register()  # 待办: discs to burn and register
