from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "avrecords.compliance"
    verbose_name = "执法活动与合规"
