from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "avrecords.web"
    verbose_name = "网页"
