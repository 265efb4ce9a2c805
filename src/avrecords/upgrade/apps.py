from django.apps import AppConfig


class UpgradeConfig(AppConfig):
    name = "avrecords.upgrade"
    verbose_name = "安装迁移"
