from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "avrecords.retention"
    verbose_name = "保存期限与清除"

    def ready(self) -> None:
        from avrecords.retention import jobs  # noqa: F401  (registers the job handlers)
