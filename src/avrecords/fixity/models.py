"""Fixity records (M2): every re-hash of an original, each original's place in the sweep order,
and the once-per-interval guard of the schedule."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.scope import can_view_fixity, recording_q
from avrecords.recordings.models import Recording


class Outcome(models.TextChoices):
    OK = "ok", "完好"
    MISMATCH = "mismatch", "哈希不符"
    MISSING = "missing", "对象缺失"
    ERROR = "error", "读取出错"


# Outcomes that mean the original is not what was stored: each raises an alarm.
ALARM_OUTCOMES = (Outcome.MISMATCH, Outcome.MISSING)


class FixityCheck(models.Model):
    """One re-read and re-hash of one original; with alarm=True it is also an alarm (M2)."""

    recording = models.ForeignKey(
        Recording, on_delete=models.PROTECT, related_name="fixity_checks", verbose_name="音像记录"
    )
    checked_at = models.DateTimeField("校验时间", db_index=True)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices)
    storage_key = models.CharField(max_length=200)
    storage_version = models.CharField(max_length=200, blank=True)
    expected_sha256 = models.CharField("应有 SHA-256", max_length=64)
    observed_sha256 = models.CharField("实测 SHA-256", max_length=64, blank=True)
    bytes_read = models.BigIntegerField("读取字节数", default=0)
    seconds = models.FloatField("用时（秒）", default=0)
    error = models.TextField("错误", blank=True)
    worker = models.CharField("执行进程", max_length=100, blank=True)
    # Set on the first bad check of a given state (see services.record_check); repeats of
    # an alarm already raised are still recorded, without a second alarm.
    alarm = models.BooleanField("告警", default=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    acknowledge_note = models.CharField("确认说明", max_length=500, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = "完整性校验记录"
        verbose_name_plural = "完整性校验记录"
        indexes = [
            models.Index(fields=["alarm", "acknowledged_at"]),
            models.Index(fields=["recording", "checked_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} #{self.recording_id} {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def is_open_alarm(self) -> bool:
        return self.alarm and self.acknowledged_at is None

    @classmethod
    def visible_q(cls, user) -> Q:
        """Checks of originals the user may see (X2, M9); nothing for those without the right
        to see fixity (M2)."""
        if not can_view_fixity(user):
            return Q(pk__in=[])
        return recording_q(user, prefix="recording__")

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("recording__unit", "acknowledged_by")


class FixityState(models.Model):
    """Where one original stands in the sweep order: when it was last checked, and who holds it."""

    recording = models.OneToOneField(
        Recording, primary_key=True, on_delete=models.CASCADE, related_name="fixity_state"
    )
    # Null until the first conclusive check (an error leaves it unchanged, so the original
    # stays at the head of the order and is tried first by the next sweep).
    last_checked_at = models.DateTimeField("最近校验", null=True, blank=True)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    last_check = models.ForeignKey(
        FixityCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A sweep claims an original before reading it, so concurrent sweeps split the work.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "完整性校验状态"
        verbose_name_plural = "完整性校验状态"
        indexes = [models.Index(fields=["last_checked_at", "recording"])]

    def __str__(self) -> str:
        return f"#{self.recording_id} {self.last_checked_at or '从未校验'}"


class SweepSlot(models.Model):
    """One scheduling interval whose sweep has been enqueued; the unique slot is the guard
    that lets many workers on many hosts enqueue at most one sweep per interval."""

    slot = models.BigIntegerField(unique=True)
    interval_seconds = models.PositiveIntegerField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    enqueued_by = models.CharField(max_length=100)
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-slot"]
        verbose_name = "定期校验时段"
        verbose_name_plural = "定期校验时段"

    def __str__(self) -> str:
        return f"slot {self.slot} ({self.interval_seconds}s)"
