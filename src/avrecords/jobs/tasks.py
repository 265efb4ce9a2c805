"""The one django-tasks task: run a durable job row (the row, not the message, is the truth)."""

# django_tasks is no installed app (settings.py, issue 22 §1): its signal receivers (logging,
# and the reset of its backends when a test overrides TASKS) connect when its package first
# loads for a task, as its app's ready() connected them.
from django_tasks import signals as _signals  # noqa: F401
from django_tasks import task

from avrecords.jobs import services


@task()
def run_job(job_id: int) -> str:
    return services.run(job_id)
