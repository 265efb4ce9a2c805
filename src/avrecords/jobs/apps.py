from django.apps import AppConfig
from django.core import checks


def check_task_backends(app_configs=None, **kwargs):
    """django-tasks' own system check (its backends in TASKS load and are valid), which its
    app registered in ready(). django_tasks is no installed app (settings: it cost every
    command's start-up ~20 ms, issue 22 §1), so the check is registered here and loads the
    package only when checks run (check, serve, migrate, tests)."""
    from django_tasks import task_backends

    return [message for backend in task_backends.all() for message in backend.check()]


class JobsConfig(AppConfig):
    name = "avrecords.jobs"
    verbose_name = "后台任务"

    def ready(self):
        checks.register(check_task_backends)
        # audit sits below jobs, so jobs wires audit's daily anchor (X1): the `audit.anchor`
        # job handler (registered on import) and its periodic step
        from avrecords.jobs import audit_anchor, periodic

        periodic.register(audit_anchor.ANCHOR_JOB, audit_anchor.enqueue_daily)
