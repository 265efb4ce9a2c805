from django.apps import AppConfig


class RedactionConfig(AppConfig):
    name = "avrecords.redaction"
    label = "redaction"
    verbose_name = "脱敏副本"

    def ready(self):
        from avrecords import panels
        from avrecords.redaction import jobs  # noqa: F401 (its job handlers)

        # the recording page's 脱敏副本 panel (issue 21 §3), on first use
        panels.register_module("avrecords.redaction.panels")
