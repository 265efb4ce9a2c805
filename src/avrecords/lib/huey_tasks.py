"""A django-tasks backend that hands tasks to Huey (SQLite file or Redis as the queue).

Task functions stay plain django-tasks (`@task` + `.enqueue()`); the Huey consumer run by
`avrecords worker` imports and calls them. Durable state lives in our own job rows
(avrecords.jobs), so a message lost with a killed worker is re-sent by the reaper.
"""

from __future__ import annotations

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from huey.contrib.djhuey import HUEY


@HUEY.task(name="avrecords.run_django_task")
def run_django_task(module_path: str, args: list, kwargs: dict):
    close_old_connections()
    try:
        task = import_string(module_path)
        return task.call(*args, **kwargs)
    finally:
        close_old_connections()


class HueyTaskBackend(BaseTaskBackend):
    supports_defer = False
    supports_get_result = False

    def enqueue(self, task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        message = run_django_task(task.module_path, list(args), dict(kwargs))
        now = timezone.now()
        return TaskResult(
            task=task,
            id=str(getattr(message, "id", "immediate")),
            status=TaskResultStatus.READY,
            enqueued_at=now,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
