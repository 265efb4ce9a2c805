from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "avrecords.notices"
    verbose_name = "站内消息"
