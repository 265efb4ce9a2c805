from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "avrecords.access"
    verbose_name = "查阅与复制"
