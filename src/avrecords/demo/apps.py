from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "avrecords.demo"
    verbose_name = "演示数据"
