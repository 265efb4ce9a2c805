"""Append-only, hash-chained audit log (X1)."""

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Someone tried to change or remove an audit entry through the ORM."""


class AuditEntry(models.Model):
    """One act on the platform: who did what to which object, chained to the entry before."""

    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人（记录时）", max_length=200)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True, db_index=True)
    summary = models.CharField("摘要", max_length=500, blank=True)
    detail = models.JSONField("详情", default=dict)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")


class AuditHead(models.Model):
    """The single row holding the chain's tip; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "审计链头"

    def __str__(self) -> str:
        return f"审计链头 #{self.last_seq}"


class AnchorRun(models.Model):
    """The day's signed anchor of the chain, once across every worker: the first to insert
    the day's row enqueues the `audit.anchor` job (the anchor itself is a file, not a row)."""

    day = models.DateField(unique=True)
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "审计链每日锚定"

    def __str__(self) -> str:
        return f"审计链锚定 {self.day}"
