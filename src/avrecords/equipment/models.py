"""The equipment ledger (设备台账, E1–E7): devices as fixed assets, who holds each one, what
happened to it (repairs, losses), the daily pre-use checks, clock flags raised at ingest and
the clearance of people who leave or move."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from avrecords.org.managers import ScopedManager
from avrecords.org.models import Unit, User
from avrecords.org.scope import (
    can_view_equipment,
    has_unit_scope,
    recording_shown,
    sees_everything,
    unit_q,
)

USER = settings.AUTH_USER_MODEL


class DeviceKind(models.TextChoices):
    BODY_CAMERA = "body_camera", "执法记录仪"
    HANDHELD = "handheld", "手持执法终端"
    CAMERA = "camera", "照相机"
    VIDEO_CAMERA = "video_camera", "摄像机"
    AUDIO_RECORDER = "audio_recorder", "录音设备"
    FIXED_CAMERA = "fixed_camera", "视频监控"
    STATION = "station", "采集存储设备"


# Kinds an officer carries and that count towards the staffing ratio (E3: 执法记录仪; 002§4
# puts 手持执法终端 under the same technical requirements).
CARRIED_KINDS = (DeviceKind.BODY_CAMERA, DeviceKind.HANDHELD)


class DeviceStatus(models.TextChoices):
    IN_SERVICE = "in_service", "在用"
    SPARE = "spare", "备用"
    REPAIR = "repair", "维修中"
    LOST = "lost", "遗失/被盗"
    RETIRED = "retired", "报废"


# Statuses in which a device is equipment the unit has (E3 counts these).
EQUIPPED = (DeviceStatus.IN_SERVICE, DeviceStatus.SPARE)


class Device(models.Model):
    """A piece of recording equipment, a fixed asset (E1). Body cameras carry the 7-character
    GA/T 947 product serial that also appears in their file names."""

    serial = models.CharField("产品序号", max_length=64, unique=True)
    kind = models.CharField(
        "类型", max_length=20, choices=DeviceKind.choices, default=DeviceKind.BODY_CAMERA
    )
    asset_no = models.CharField("资产编号", max_length=64, blank=True)
    brand_model = models.CharField("品牌型号", max_length=100, blank=True)
    purchase_date = models.DateField("购置日期", null=True, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, verbose_name="所属单位")
    status = models.CharField(
        "状态", max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.IN_SERVICE
    )
    specs = models.JSONField("技术参数", default=dict, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True, null=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["serial"]
        verbose_name = "设备"
        verbose_name_plural = "设备"
        indexes = [models.Index(fields=["unit", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["asset_no"], condition=~Q(asset_no=""), name="device_asset_no_unique"
            ),
            # serials are matched case-insensitively (file names, imports): one per spelling
            models.UniqueConstraint(Upper("serial"), name="device_serial_upper_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Unit roles see the devices of their unit's subtree; system administrators all; an
        officer the devices he holds now or has held (X2 applied to E1–E7)."""
        if sees_everything(user):
            return Q()
        if has_unit_scope(user):
            return unit_q(user)
        return Q(pk__in=cls.objects.filter(custodies__holder=user.pk).values("pk"))


class Custody(models.Model):
    """One period during which a person held a device (领用 → 归还), with the condition and
    accessories at each handover (E2). At most one open period per device (constraint)."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="custodies", verbose_name="设备"
    )
    holder = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="custodies", verbose_name="使用人"
    )
    started_at = models.DateTimeField("领用时间")
    ended_at = models.DateTimeField("归还时间", null=True, blank=True)
    issued_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发放经办人",
    )
    returned_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="归还经办人",
    )
    issue_condition = models.CharField("领用时状况", max_length=200, blank=True)
    return_condition = models.CharField("归还时状况", max_length=200, blank=True)
    accessories = models.JSONField("随附配件", default=list, blank=True)
    missing_accessories = models.JSONField("未归还配件", default=list, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        ordering = ["device", "-started_at"]
        verbose_name = "领用记录"
        verbose_name_plural = "领用记录"
        indexes = [
            models.Index(fields=["device", "started_at"]),
            models.Index(fields=["holder", "started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(ended_at__isnull=True), name="one_open_custody"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device} → {self.holder}"


class Station(models.Model):
    """A collection station (采集工作站) where cameras are docked and dumped; registered,
    credentialed and retired by `stations.services` (issue 19 §1)."""

    name = models.CharField("站点名称", max_length=100, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, verbose_name="所属单位")
    location = models.CharField("安装位置", max_length=200, blank=True)
    responsible = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stations_responsible",
        verbose_name="负责人",
    )
    note = models.CharField("备注", max_length=500, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    # A retired station keeps its history (batches, audit name it) but its token is revoked
    # and it is refused until reinstated.
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    # Its API credential (a token with no person); None until one is issued, or revoked and
    # cleared. Only the token's digest is kept (org.tokens).
    token = models.OneToOneField(
        "org.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="station",
        verbose_name="接口令牌",
    )

    objects = ScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "采集站"
        verbose_name_plural = "采集站"

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def audit_label(self) -> str:
        """How the audit chain names the station when it acts (issue 19 §1)."""
        return f"采集站：{self.name}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Those who see the units' equipment see the stations of their scope (system
        administrators all); the person responsible for a station sees it."""
        if sees_everything(user):
            return Q()
        mine = Q(responsible=user.pk)
        if can_view_equipment(user) and has_unit_scope(user):
            return unit_q(user) | mine
        return mine


class EventKind(models.TextChoices):
    MAINTENANCE = "maintenance", "维护保养"
    REPAIR = "repair", "送修"
    REPAIRED = "repaired", "维修完成"
    LOSS = "loss", "遗失"
    THEFT = "theft", "被盗"
    FOUND = "found", "找回"
    RETIRE = "retire", "报废"
    STATUS = "status", "状态变更"


class DeviceEvent(models.Model):
    """What happened to a device besides custody (E6): maintenance, repair, loss, theft,
    retirement. Loss and theft are acknowledged by the unit head (the notification)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=16, choices=EventKind.choices)
    at = models.DateTimeField("发生时间")
    operator = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登记人",
    )
    person = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="当事人",
    )
    status_before = models.CharField(max_length=20, blank=True)
    status_after = models.CharField(max_length=20, blank=True)
    vendor = models.CharField("维修单位", max_length=100, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    acknowledged_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="单位负责人已阅",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "设备事项"
        verbose_name_plural = "设备事项"

    def __str__(self) -> str:
        return f"{self.device.serial} {self.get_kind_display()}"

    @property
    def status_change(self) -> str:
        """“在用 → 遗失/被盗”, or the one status when nothing changed."""
        before = DeviceStatus(self.status_before).label if self.status_before else ""
        after = DeviceStatus(self.status_after).label if self.status_after else ""
        return before if before == after else f"{before} → {after}"


class PreUseCheck(models.Model):
    """The pre-use check before field work (E7): works, battery, free storage, clock set."""

    class Source(models.TextChoices):
        WEB = "web", "网页"
        API = "api", "接口（采集站/手持终端）"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField("检查日期")
    checked_at = models.DateTimeField("检查时间")
    works = models.BooleanField("设备无故障")
    battery_ok = models.BooleanField("电量充足")
    storage_ok = models.BooleanField("存储空间充足")
    clock_ok = models.BooleanField("时间已校准")
    battery_percent = models.PositiveSmallIntegerField("电量（%）", null=True, blank=True)
    free_storage_gb = models.FloatField("剩余空间（GB）", null=True, blank=True)
    clock_offset_seconds = models.IntegerField("时钟偏差（秒）", null=True, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)

    objects = ScopedManager()

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = "使用前检查"
        verbose_name_plural = "使用前检查"
        indexes = [models.Index(fields=["device", "checked_on"])]

    def __str__(self) -> str:
        return f"{self.device.serial} {self.checked_on} {'合格' if self.passed else '不合格'}"

    @property
    def passed(self) -> bool:
        return self.works and self.battery_ok and self.storage_ok and self.clock_ok

    @classmethod
    def visible_q(cls, user) -> Q:
        """Checks of the devices the user may see (X2)."""
        return Q(device__in=Device.objects.visible_to(user).values("pk"))

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("device", "device__unit", "checked_by")


class ClockFlag(models.Model):
    """A device clock that disagrees with the station's (E7). Both times are kept; nothing is
    shifted. Cleared by an administrator after the clock is checked."""

    class Kind(models.TextChoices):
        AHEAD = "ahead", "文件结束时间晚于采集站时间（设备时钟偏快）"
        STALE = "stale", "最新文件远早于接入时间（设备时钟可能被重置）"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="clock_flags")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    batch = models.ForeignKey(
        "recordings.IngestBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recording = models.ForeignKey(
        "recordings.Recording",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    device_time = models.DateTimeField("设备时间")
    station_time = models.DateTimeField("采集站时间")
    offset_seconds = models.IntegerField("偏差（秒）")
    tolerance_seconds = models.IntegerField("允许偏差（秒）")
    cite = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField("处理说明", max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "时钟偏差"
        verbose_name_plural = "时钟偏差"

    def __str__(self) -> str:
        return f"{self.device.serial} {self.get_kind_display()}（{self.offset_seconds} 秒）"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Flags of the devices the user may see (X2)."""
        return Q(device__in=Device.objects.visible_to(user).values("pk"))

    @classmethod
    def visible_rows(cls, qs, user):
        """A flag's recording is named only to those who may see it (`recording_shown`, M9)."""
        return (
            qs.filter(cls.visible_q(user))
            .select_related("device", "device__unit", "resolved_by", "recording")
            .annotate(recording_shown=recording_shown(user))
        )


class ClearanceKind(models.TextChoices):
    TRANSFER = "transfer", "调动/调岗"
    LEAVE = "leave", "离职/调离"


class ClearanceStatus(models.TextChoices):
    OPEN = "open", "办理中"
    COMPLETED = "completed", "已办结"
    CANCELLED = "cancelled", "已撤销"


class Clearance(models.Model):
    """A person's transfer or departure (E5): devices and accessories back, recordings and
    pending work handed to a named successor, then the account is disabled — or, for a
    transfer to `to_unit` within the agency, the person moves there (issue 18 §1)."""

    person = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="clearances")
    kind = models.CharField("类型", max_length=10, choices=ClearanceKind.choices)
    successor = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="交接人"
    )
    reason = models.CharField("事由", max_length=300, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)
    # A transfer within the agency names where he goes: completing it moves him there and
    # keeps his account; a transfer out of the agency (none named) disables it (issue 18 §1).
    to_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="调入单位",
    )
    status = models.CharField(
        max_length=10, choices=ClearanceStatus.choices, default=ClearanceStatus.OPEN
    )
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("发起时间")
    due_at = models.DateTimeField("办结期限")
    cite = models.CharField(max_length=100, blank=True)
    handed_over_at = models.DateTimeField("资料交接时间", null=True, blank=True)
    handed_over = models.JSONField("交接内容", default=dict, blank=True)
    completed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "离岗交接"
        verbose_name_plural = "离岗交接"
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="open"), name="one_open_clearance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()}交接（{self.get_status_display()}）"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Clearances of the people whose ledger the user may see (`User.visible_q`)."""
        return Q(person__in=User.objects.visible_to(user).values("pk"))

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "person", "successor", "unit", "started_by", "completed_by"
        )
