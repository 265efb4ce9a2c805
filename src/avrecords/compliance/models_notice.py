"""The notice check (U5): the agency's reference recordings of the notice and each
activity's result of listening for it (000§12, 001§11, 002§10, 003§9, 004§13)."""

from django.conf import settings
from django.db import models

USER = settings.AUTH_USER_MODEL


class ReferenceKind(models.TextChoices):
    DEVICE = "device", "设备内置告知语音"
    OFFICER = "officer", "执法人员朗读"


class NoticeReference(models.Model):
    """One reference recording of the notice the platform listens for: its 16 kHz WAV and its
    matching template are derived files (relative to AVRECORDS_DERIVED_PATH)."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=8, choices=ReferenceKind.choices)
    original_name = models.CharField("原文件名", max_length=255)
    sha256 = models.CharField("原文件SHA-256", max_length=64)
    audio_path = models.CharField("音频文件", max_length=300)
    template_path = models.CharField("匹配模板", max_length=300)
    duration_seconds = models.FloatField("时长（秒）")
    speech_seconds = models.FloatField("语音时长（秒）")
    matcher_version = models.CharField("匹配方法版本", max_length=40)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "告知语参考录音"
        verbose_name_plural = "告知语参考录音"

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class NoticeOutcome(models.TextChoices):
    FOUND = "found", "检测到告知语"
    NOT_FOUND = "not_found", "未检测到告知语"
    NO_AUDIO = "no_audio", "无音轨"
    UNREADABLE = "unreadable", "无法解码"
    NO_REFERENCES = "no_references", "未配置参考录音"


class NoticeCheck(models.Model):
    """What the platform heard at the opening of an activity's first recording (one row per
    activity, updated in place when the check runs again)."""

    activity = models.OneToOneField(
        "compliance.Activity", on_delete=models.CASCADE, related_name="notice_check"
    )
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("结果", max_length=16, choices=NoticeOutcome.choices)
    window_seconds = models.FloatField("检查时段（秒）", default=0)
    at_seconds = models.FloatField("告知语开始（秒）", null=True, blank=True)
    confidence = models.FloatField("置信度", null=True, blank=True)
    method = models.CharField("方法", max_length=16, blank=True)
    reference = models.ForeignKey(
        NoticeReference, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference_name = models.CharField("匹配的参考录音", max_length=100, blank=True)
    matcher_version = models.CharField("匹配方法版本", max_length=40, blank=True)
    message = models.CharField("说明", max_length=300)
    checked_at = models.DateTimeField("检查时间")

    class Meta:
        verbose_name = "告知检查"
        verbose_name_plural = "告知检查"

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}：{self.message}"
