from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "avrecords.access"
    verbose_name = "查阅与复制"

    def ready(self):
        from avrecords import panels, worklist
        from avrecords.access import subscribers

        # the playback rule, and access's panels on recording and case pages (on first use)
        panels.register_module("avrecords.access.panels")
        subscribers.connect()
        # 待办, imported on first use (avrecords.worklist): requests to decide and to carry out
        worklist.register_module("avrecords.access.worklist_sources")
