from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "avrecords.recordings"
    verbose_name = "音像记录"

    def ready(self):
        from avrecords.recordings import jobs  # noqa: F401  (registers media job handlers)
