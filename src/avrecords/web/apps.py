from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "avrecords.web"
    verbose_name = "网页"

    def ready(self) -> None:
        from avrecords.web import login_audit

        login_audit.connect()
