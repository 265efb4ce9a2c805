from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "avrecords.jobs"
    verbose_name = "后台任务"

    def ready(self):
        # audit sits below jobs, so jobs wires audit's daily anchor (X1): the `audit.anchor`
        # job handler (registered on import) and its periodic step
        from avrecords.jobs import audit_anchor, periodic

        periodic.register(audit_anchor.ANCHOR_JOB, audit_anchor.enqueue_daily)
