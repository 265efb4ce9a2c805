from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "avrecords.jobs"
    verbose_name = "后台任务"
