"""What a collection station tells the platform (issue 19 §4): its last heartbeat, and the
cameras it refused because they are not registered to its agency. The station itself is
`equipment.Station` (the ledger's), with its responsible person and token."""

from django.conf import settings
from django.db import models

from avrecords.equipment.models import Station


class StationState(models.Model):
    """A station's last heartbeat: when it was seen, its agent, disk, queue, docked cameras
    and clock (one row per station, overwritten by each heartbeat; not audited one by one)."""

    station = models.OneToOneField(
        Station, primary_key=True, on_delete=models.CASCADE, related_name="state"
    )
    last_seen_at = models.DateTimeField("最近心跳", null=True, blank=True)
    agent_version = models.CharField("采集程序版本", max_length=40, blank=True)
    free_disk_bytes = models.BigIntegerField("剩余磁盘（字节）", null=True, blank=True)
    total_disk_bytes = models.BigIntegerField("磁盘容量（字节）", null=True, blank=True)
    queue_files = models.PositiveIntegerField("待上传文件数", default=0)
    queue_bytes = models.BigIntegerField("待上传字节数", default=0)
    cameras = models.JSONField("接入的执法记录仪", default=list, blank=True)  # serials
    # station clock minus platform clock, seconds (positive: the station is fast)
    clock_offset_seconds = models.FloatField("时钟偏差（秒）", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    last_ip = models.CharField("来源地址", max_length=45, blank=True)
    # When the worker last reported its silence (audited once per silence, issue 19 §4).
    silent_reported_at = models.DateTimeField("离线告警时间", null=True, blank=True)

    class Meta:
        verbose_name = "采集站状态"
        verbose_name_plural = "采集站状态"

    def __str__(self) -> str:
        return f"{self.station}（{self.last_seen_at or '从未连接'}）"


class CameraRefusal(models.Model):
    """A camera a station refused to import from (its serial not registered to the station's
    agency): shown in the responsible administrator's 待办 until he records how he dealt with
    it. A camera docked again before that adds to `attempts` of the same row."""

    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="camera_refusals", verbose_name="采集站"
    )
    serial = models.CharField("序列号", max_length=64)
    at = models.DateTimeField("首次拒绝时间")
    last_at = models.DateTimeField("最近拒绝时间")
    attempts = models.PositiveIntegerField("拒绝次数", default=1)
    reason = models.CharField("原因", max_length=300)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="处理人",
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    handling_note = models.CharField("处理情况", max_length=300, blank=True)

    class Meta:
        ordering = ["-last_at", "-pk"]
        verbose_name = "拒绝导入的执法记录仪"
        verbose_name_plural = "拒绝导入的执法记录仪"
        constraints = [
            # one open refusal per camera and station: a second docking counts on it
            models.UniqueConstraint(
                fields=["station", "serial"],
                condition=models.Q(handled_at__isnull=True),
                name="one_open_refusal_per_camera",
            )
        ]

    def __str__(self) -> str:
        return f"{self.station} 拒绝 {self.serial}"


class IssuedToken(models.Model):
    """Every token ever issued to a station, the current one (`Station.token`) and those it
    replaced: a revoked token presented again is still known as that station's, so the refusal
    is audited under the station's name (issue 19 §1)."""

    token = models.OneToOneField(
        "org.ApiToken", primary_key=True, on_delete=models.CASCADE, related_name="issued_to"
    )
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="issued_tokens", verbose_name="采集站"
    )

    class Meta:
        verbose_name = "采集站令牌"
        verbose_name_plural = "采集站令牌"

    def __str__(self) -> str:
        return f"{self.station}：{self.token}"
