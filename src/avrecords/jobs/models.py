"""Durable background jobs with lease, heartbeat and attempts."""

from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "处理中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """One unit of background work on a subject (e.g. make the proxy of recording 12)."""

    kind = models.CharField("任务类型", max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        "状态", max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    lease_until = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        indexes = [
            models.Index(fields=["state", "lease_until"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id} ({self.state})"
