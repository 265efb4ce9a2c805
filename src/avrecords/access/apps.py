from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "avrecords.access"
    verbose_name = "查阅与复制"

    def ready(self):
        from avrecords.access import panels, subscribers, worklist_sources

        panels.register()  # the playback rule, and access's panels on recording and case pages
        subscribers.connect()
        worklist_sources.register()  # 待办: requests to decide and to carry out
