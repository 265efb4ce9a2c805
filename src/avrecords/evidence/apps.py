from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "avrecords.evidence"
    verbose_name = "证据导出与光盘"
