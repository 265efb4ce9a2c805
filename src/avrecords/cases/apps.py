from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "avrecords.cases"
    verbose_name = "案卷"

    def ready(self):
        from avrecords import panels

        # the case a recording is filed with, on the recording's page (on first use)
        panels.register_module("avrecords.cases.panels")
