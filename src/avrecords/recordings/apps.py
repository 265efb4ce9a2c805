from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "avrecords.recordings"
    verbose_name = "音像记录"

    def ready(self):
        from avrecords import panels
        from avrecords.recordings import jobs, usage  # noqa: F401  (jobs: the media handlers)

        # E1: a device that has recorded keeps its serial (equipment.registry asks)
        panels.DEVICE_RECORDINGS.provide(made_any=usage.made_any)
        from avrecords.recordings import worklist_sources

        worklist_sources.register()  # 待办: recordings waiting for an administrator to bind
        from avrecords.jobs import periodic
        from avrecords.recordings import resumable

        # issue 19 §3: unfinished resumable uploads past their expiry, part files deleted
        periodic.register("recordings.expire_resumable", resumable.expire_due)
