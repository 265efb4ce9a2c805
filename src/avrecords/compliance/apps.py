from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "avrecords.compliance"
    verbose_name = "执法活动与合规"

    def ready(self):
        from avrecords.compliance import jobs  # noqa: F401  (registers the evaluate job)
