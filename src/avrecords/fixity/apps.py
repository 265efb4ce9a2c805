from django.apps import AppConfig


class FixityConfig(AppConfig):
    name = "avrecords.fixity"
    verbose_name = "完整性校验"

    def ready(self):
        from avrecords.fixity import conf, jobs  # noqa: F401  (checks settings, registers the job)
        from avrecords.fixity.schedule import enqueue_due_sweep
        from avrecords.jobs import periodic

        periodic.register("fixity.sweep", enqueue_due_sweep)  # M2: once per interval
