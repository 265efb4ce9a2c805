from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "avrecords.audit"
    verbose_name = "审计日志"

    def ready(self):
        from avrecords.audit import jobs  # noqa: F401  (registers the daily anchor job)
