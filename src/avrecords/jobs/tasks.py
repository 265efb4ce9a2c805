"""The one django-tasks task: run a durable job row (the row, not the message, is the truth)."""

from django_tasks import task

from avrecords.jobs import services


@task()
def run_job(job_id: int) -> str:
    return services.run(job_id)
