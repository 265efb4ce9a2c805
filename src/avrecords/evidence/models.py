"""Evidence packages (M7) and long-term discs (M6) made under an approved request.

A package is built by a background job (a `jobs.Job` row with lease and heartbeat): a BagIt
bag of the originals byte-for-byte with the 文字说明材料, and the same as an ISO image. Each
artifact can be downloaded once, by the requester; every download is registered. A
preservation request also registers two disc copies, each with a label and a storage place.
"""

from django.conf import settings
from django.db import models

USER = settings.AUTH_USER_MODEL


class PackageState(models.TextChoices):
    QUEUED = "queued", "排队中"
    BUILDING = "building", "生成中"
    READY = "ready", "可下载"
    FAILED = "failed", "失败"


class Package(models.Model):
    request = models.OneToOneField(
        "access.AccessRequest", on_delete=models.PROTECT, related_name="package"
    )
    number = models.CharField("证据包编号", max_length=32, unique=True)
    state = models.CharField(
        "状态", max_length=12, choices=PackageState.choices, default=PackageState.QUEUED
    )
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    bytes_done = models.BigIntegerField("已处理字节", default=0)
    bytes_total = models.BigIntegerField("总字节", default=0)
    files = models.PositiveIntegerField("文件数", default=0)
    directory = models.CharField("存放目录", max_length=500, blank=True)
    bag_bytes = models.BigIntegerField("证据包大小", default=0)
    iso_bytes = models.BigIntegerField("光盘镜像大小", default=0)
    error = models.TextField("失败原因", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField("生成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "证据包"
        verbose_name_plural = "证据包"

    def __str__(self) -> str:
        return self.number

    @property
    def downloaded(self) -> set[str]:
        return set(self.downloads.values_list("artifact", flat=True))

    @property
    def percent(self) -> int:
        return int(self.bytes_done * 100 / self.bytes_total) if self.bytes_total else 0


class Artifact(models.TextChoices):
    BAG = "bag", "证据包（BagIt，zip）"
    ISO = "iso", "光盘镜像（ISO）"


class Download(models.Model):
    """An artifact taken out of the system: once each, by the approved person (M3)."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="downloads")
    artifact = models.CharField("文件", max_length=8, choices=Artifact.choices)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "artifact"], name="download_once")
        ]

    def __str__(self) -> str:
        return f"{self.package.number} {self.get_artifact_display()}"


class Disc(models.Model):
    """One of the two copies burned for long-term preservation (M6: 000§20, 003§16)."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="discs")
    copy_no = models.PositiveSmallIntegerField("份号")
    location = models.CharField("存放位置", max_length=200, blank=True)
    burned_at = models.DateTimeField("刻录时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", null=True, blank=True)

    class Meta:
        ordering = ["package", "copy_no"]
        constraints = [
            models.UniqueConstraint(fields=["package", "copy_no"], name="one_disc_per_copy")
        ]

    def __str__(self) -> str:
        return f"{self.package.number} 第{self.copy_no}份"
