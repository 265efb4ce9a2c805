from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "avrecords.audit"
    verbose_name = "审计日志"
