from django.apps import AppConfig

# The two functions below import their module when first called: the device ledger's
# spreadsheet code (usage) and the resumable uploads (resumable) are no part of every
# command's start-up (issue 22 §1).


def _made_any(device) -> bool:
    from avrecords.recordings.usage import made_any

    return made_any(device)


def _expire_resumable() -> int:
    from avrecords.recordings.resumable import expire_due

    return expire_due()


class RecordingsConfig(AppConfig):
    name = "avrecords.recordings"
    verbose_name = "音像记录"

    def ready(self):
        from avrecords import panels, worklist
        from avrecords.recordings import jobs  # noqa: F401  (the media handlers)

        # E1: a device that has recorded keeps its serial (equipment.registry asks)
        panels.DEVICE_RECORDINGS.provide(made_any=_made_any)
        # 待办, imported on first use: recordings waiting for an administrator to bind
        worklist.register_module("avrecords.recordings.worklist_sources")
        from avrecords.jobs import periodic

        # issue 19 §3: unfinished resumable uploads past their expiry, part files deleted
        periodic.register("recordings.expire_resumable", _expire_resumable)
