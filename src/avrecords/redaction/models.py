"""Redacted copies (脱敏副本, issue 21): a derived copy of one recording with faces, plates,
documents and voices hidden before anything leaves the system (000§19, 001§25, 003§14,
004§21: personal privacy and commercial secrets). The original is never altered (M2): the
copy is a derived file under AVRECORDS_DERIVED_PATH/redacted/, recorded with the original's
SHA-256, the copy's, the detection models' versions and every setting, so it can be made
again and its lineage is shown on the recording's page. It leaves only through an approved
request of the kind 提供脱敏副本 (M3, M6–M8; access)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.scope import recording_q

USER = settings.AUTH_USER_MODEL


class Target(models.TextChoices):
    FACES = "faces", "人脸"
    TEXT = "text", "车牌、证件及屏幕文字"
    # everything except the people the reviewer marks 不遮盖 (the faces found are offered to
    # mark; a box drawn around a person marks him too)
    OTHERS = "others", "除标记人员外的全部画面"


class Style(models.TextChoices):
    BLUR = "blur", "模糊"
    MASK = "mask", "纯色遮盖"


class AudioMode(models.TextChoices):
    MUTE = "mute", "静音"
    DISTORT = "distort", "变声"


class State(models.TextChoices):
    QUEUED = "queued", "排队中"
    DETECTING = "detecting", "识别中"
    REVIEW = "review", "待复核"
    RENDERING = "rendering", "生成中"
    READY = "ready", "已生成待确认"
    SIGNED_OFF = "signed_off", "已确认可提供"
    CANCELLED = "cancelled", "已取消"
    FAILED = "failed", "失败"


RUNNING_STATES = (State.QUEUED, State.DETECTING, State.RENDERING)
FINISHED_STATES = (State.SIGNED_OFF, State.CANCELLED, State.FAILED)


class Redaction(models.Model):
    """One redacted copy of a recording: what to hide and how, its state, and the copy made."""

    recording = models.ForeignKey(
        "recordings.Recording",
        on_delete=models.PROTECT,
        related_name="redactions",
        verbose_name="原始记录",
    )
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    purpose = models.CharField("用途", max_length=300)
    targets = models.JSONField("遮盖内容", default=list)  # ["faces", "text"]
    style = models.CharField("遮盖方式", max_length=8, choices=Style.choices)
    audio_ranges = models.JSONField("声音处理", default=list)  # [[from_s, to_s, mode], ...]
    start_seconds = models.FloatField("起点（秒）", default=0)
    end_seconds = models.FloatField("终点（秒）", null=True, blank=True)  # None: to the end
    state = models.CharField(
        "状态", max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    progress = models.FloatField("进度", default=0)  # 0..1 of the running step
    eta_seconds = models.FloatField("预计剩余（秒）", null=True, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    model_versions = models.JSONField("识别模型版本", default=dict)
    settings = models.JSONField("生成参数", default=dict)
    original_sha256 = models.CharField("原始文件SHA-256", max_length=64)
    output_path = models.CharField("副本文件", max_length=300, blank=True)
    output_sha256 = models.CharField("副本SHA-256", max_length=64, blank=True)
    output_size = models.BigIntegerField("副本大小（字节）", null=True, blank=True)
    rendered_at = models.DateTimeField("生成时间", null=True, blank=True)
    renders = models.PositiveIntegerField("生成次数", default=0)
    signed_off_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )
    signed_off_at = models.DateTimeField("确认时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "脱敏副本"
        verbose_name_plural = "脱敏副本"

    def __str__(self) -> str:
        return f"脱敏副本 {self.pk}（{self.get_state_display()}）"

    @classmethod
    def visible_q(cls, user) -> Q:
        """The copies of recordings the user may see (X2, M9): another unit's are 404."""
        return recording_q(user, prefix="recording__")

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("recording__unit", "requested_by")

    @property
    def segment_end(self) -> float:
        """Where the copy ends (the recording's end when none was chosen)."""
        if self.end_seconds is not None:
            return self.end_seconds
        return self.recording.duration_seconds


class RedactionTrack(models.Model):
    """One tracked thing to hide (a face, a plate or document, a box a reviewer drew) with its
    keyframe boxes; the reviewer decides per track whether it is hidden."""

    redaction = models.ForeignKey(Redaction, on_delete=models.CASCADE, related_name="tracks")
    kind = models.CharField("类型", max_length=8)  # face | plate | text | manual
    label = models.CharField("名称", max_length=60)
    hide = models.BooleanField("遮盖", default=True)
    boxes = models.JSONField("关键帧", default=list)  # [[t, x, y, w, h], ...] (fractions)
    added_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="添加人",
    )  # None: found by the detector

    class Meta:
        ordering = ["pk"]
        verbose_name = "跟踪目标"
        verbose_name_plural = "跟踪目标"

    def __str__(self) -> str:
        return self.label

    @property
    def start_seconds(self) -> float:
        return self.boxes[0][0] if self.boxes else 0.0

    @property
    def end_seconds(self) -> float:
        return self.boxes[-1][0] if self.boxes else 0.0
