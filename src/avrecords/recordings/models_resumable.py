"""Resumable uploads (tus 1.0.0, issue 19 §3): one row per file being sent in parts (M1, X4)."""

import uuid

from django.conf import settings
from django.db import models

from avrecords.equipment.models import Station


class ResumableUpload(models.Model):
    """A file a person or a station is sending in parts: how far it has durably come, and
    what became of it once its last byte arrived (the ingest's outcome)."""

    class State(models.TextChoices):
        RECEIVING = "receiving", "接收中"
        INGESTING = "ingesting", "入库中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"
        TERMINATED = "terminated", "已取消"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="上传人",
    )
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="采集站",
    )
    filename = models.CharField("文件名", max_length=255)
    relative_path = models.CharField("相对路径", max_length=1000, blank=True)
    length = models.BigIntegerField("文件大小（字节）")
    offset = models.BigIntegerField("已接收（字节）", default=0)
    # The Upload-Metadata the client sent, decoded (known keys only).
    metadata = models.JSONField("上传元数据", default=dict, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.RECEIVING)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("最近接收", auto_now=True)
    expires_at = models.DateTimeField("过期时间")
    # The result once ingested: the ingest's outcome (imported, duplicate, quarantined,
    # skipped, failed), its Chinese reason, the stored SHA-256 and what it made.
    outcome = models.CharField("结果", max_length=16, blank=True)
    reason = models.CharField("说明", max_length=500, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    recording = models.ForeignKey(
        "recordings.Recording",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="音像记录",
    )
    batch = models.ForeignKey(
        "recordings.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="导入批次",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "expires_at"], name="resumable_state_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(station__isnull=True),
                name="resumable_one_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(offset__gte=0) & models.Q(offset__lte=models.F("length")),
                name="resumable_offset_within_length",
            ),
        ]
        verbose_name = "断点续传上传"
        verbose_name_plural = "断点续传上传"

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"
