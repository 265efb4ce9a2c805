"""Minimal device registry with custody history (E1/E2 first cut; full ledger later)."""

from django.conf import settings
from django.db import models

from avrecords.org.models import Unit


class DeviceKind(models.TextChoices):
    BODY_CAMERA = "body_camera", "执法记录仪"
    HANDHELD = "handheld", "手持执法终端"
    CAMERA = "camera", "照相机"
    VIDEO_CAMERA = "video_camera", "摄像机"
    AUDIO_RECORDER = "audio_recorder", "录音设备"
    FIXED_CAMERA = "fixed_camera", "视频监控"
    STATION = "station", "采集存储设备"


class DeviceStatus(models.TextChoices):
    IN_SERVICE = "in_service", "在用"
    SPARE = "spare", "备用"
    REPAIR = "repair", "维修中"
    LOST = "lost", "遗失"
    RETIRED = "retired", "报废"


class Device(models.Model):
    """A piece of recording equipment, identified by its product serial (GA/T 947: 7 characters)."""

    serial = models.CharField("产品序号", max_length=64, unique=True)
    kind = models.CharField(
        "类型", max_length=20, choices=DeviceKind.choices, default=DeviceKind.BODY_CAMERA
    )
    asset_no = models.CharField("资产编号", max_length=64, blank=True)
    brand_model = models.CharField("品牌型号", max_length=100, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, verbose_name="所属单位")
    status = models.CharField(
        "状态", max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.IN_SERVICE
    )

    class Meta:
        ordering = ["serial"]
        verbose_name = "设备"
        verbose_name_plural = "设备"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class Custody(models.Model):
    """One period during which a person held a device (issued → returned)."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="custodies", verbose_name="设备"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="使用人"
    )
    started_at = models.DateTimeField("领用时间")
    ended_at = models.DateTimeField("归还时间", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="经办人",
    )

    class Meta:
        ordering = ["device", "-started_at"]
        verbose_name = "领用记录"
        verbose_name_plural = "领用记录"
        indexes = [models.Index(fields=["device", "started_at"])]

    def __str__(self) -> str:
        return f"{self.device} → {self.holder}"


class Station(models.Model):
    """A collection station (采集工作站) where cameras are docked and dumped."""

    name = models.CharField("站点名称", max_length=100, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, verbose_name="所属单位")
    location = models.CharField("安装位置", max_length=200, blank=True)

    class Meta:
        verbose_name = "采集站"
        verbose_name_plural = "采集站"

    def __str__(self) -> str:
        return self.name
