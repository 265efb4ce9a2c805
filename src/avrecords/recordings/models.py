"""Recordings (M1, M2, M4): originals, where they came from, derived copies, quarantine, import batches."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from avrecords.equipment.models import Device, Station
from avrecords.org.managers import ScopedManager
from avrecords.org.models import Secrecy, Unit
from avrecords.org.scope import can_ingest, recording_q, sees_everything, unit_q
from avrecords.recordings.textsearch import InterleavedText


class MediaKind(models.TextChoices):
    VIDEO = "video", "视频"
    PHOTO = "photo", "照片"
    AUDIO = "audio", "音频"


class RecordingStatus(models.TextChoices):
    PROCESSING = "processing", "处理中"
    READY = "ready", "可播放"
    FAILED = "failed", "处理失败"


class TimeSource(models.TextChoices):
    """Where a recording's start time came from (issue 19 §5; `recordings.start_time`)."""

    FILENAME = "filename", "文件名"
    CONTAINER = "container", "容器元数据"
    STATION = "station", "采集站时钟"
    FILE_MTIME = "mtime", "文件修改时间"
    MANUAL = "manual", "人工指定"


class IngestSource(models.TextChoices):
    STATION = "station", "采集站导入"
    UPLOAD = "upload", "网页/接口上传"
    DEMO = "demo", "演示数据"


class IngestBatch(models.Model):
    """One import run: a camera dump at a station, or one upload request."""

    class State(models.TextChoices):
        RUNNING = "running", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "已中止"

    source = models.CharField("来源", max_length=16, choices=IngestSource.choices)
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, verbose_name="采集站"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, verbose_name="单位"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="操作人",
    )
    source_path = models.CharField("源路径", max_length=1000, blank=True)
    process = models.CharField("导入进程", max_length=100, blank=True, help_text="host:pid")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    files_total = models.PositiveIntegerField("文件数", default=0)
    imported = models.PositiveIntegerField("新导入", default=0)
    duplicates = models.PositiveIntegerField("重复", default=0)
    quarantined = models.PositiveIntegerField("隔离", default=0)
    skipped = models.PositiveIntegerField("跳过", default=0)
    failed = models.PositiveIntegerField("失败", default=0)
    bytes_total = models.BigIntegerField("字节数", default=0)
    error = models.TextField("错误", blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"

    def __str__(self) -> str:
        return f"导入批次 #{self.pk}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Import runs of the units in a records administrator's scope (all for the system
        administrator); nobody else sees batches."""
        if not can_ingest(user):
            return Q(pk__in=[])
        return Q() if sees_everything(user) else unit_q(user)

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("station", "operator", "unit")


class Recording(models.Model):
    """One original audio/video/photo file, stored once by its SHA-256, bound to device and officer."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    size_bytes = models.BigIntegerField("大小（字节）")
    storage_key = models.CharField(max_length=200)
    # The store's own version of the object (S3 VersionId); reads pin it (M2).
    storage_version = models.CharField(max_length=200, blank=True)
    # Store-level lock (S3 COMPLIANCE retain-until); the retention issue (M5) computes it.
    retain_until = models.DateTimeField("存储锁定至", null=True, blank=True)
    media_kind = models.CharField("类型", max_length=8, choices=MediaKind.choices)
    status = models.CharField(
        "状态", max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.PROCESSING
    )
    original_name = models.CharField("原始文件名", max_length=255)
    extension = models.CharField(max_length=16)
    # No single-column indexes: the (officer|device|unit, started_at) ones below serve too.
    device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="设备",
        db_index=False,
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="执法人员",
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="单位",
        db_index=False,
    )
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kept_recordings",
        verbose_name="交接保管人",
        help_text="原记录人员调离后接收其音像资料的人（E5，004§18）",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uploaded_recordings",
        verbose_name="上传人",
        help_text="通过网页或接口上传的人；待指派期间上传人仍可查看（M1）",
        db_index=False,
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recordings",
        verbose_name="所属案卷",
    )
    secrecy_mark = models.CharField(
        "密级标注", max_length=20, choices=Secrecy.choices, blank=True, default=""
    )
    secrecy = models.CharField(
        "有效密级",
        max_length=20,
        choices=Secrecy.choices,
        blank=True,
        default="",
        db_index=True,
        help_text="本身、所属案卷或执法活动中最高的密级（M9），由标注和关联自动计算",
    )
    device_serial = models.CharField("设备序号（文件）", max_length=64, blank=True)
    officer_no = models.CharField("人员编号（文件）", max_length=64, blank=True)
    segment_no = models.CharField("分段号", max_length=16, blank=True)
    needs_assignment = models.BooleanField("待指派", default=False)
    assignment_note = models.CharField("待指派原因", max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间")
    time_source = models.CharField("时间来源", max_length=16, choices=TimeSource.choices)
    duration_seconds = models.FloatField("时长（秒）", default=0)
    container = models.CharField("封装格式", max_length=64, blank=True)
    video_codec = models.CharField("视频编码", max_length=32, blank=True)
    audio_codec = models.CharField("音频编码", max_length=32, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frame_rate = models.FloatField(null=True, blank=True)
    audio_channels = models.PositiveSmallIntegerField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    needs_proxy = models.BooleanField("需转码播放", default=False)
    # What the recording is about (M4 search); filled by hand now, from activities (U1) later.
    case_number = models.CharField("案件编号", max_length=64, blank=True)
    party = models.CharField("当事人", max_length=200, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    # Party, place and case number as the trigram index wants them (textsearch.py): computed
    # by PostgreSQL on every write; empty on SQLite, where searches read the fields.
    search_text = models.GeneratedField(
        expression=InterleavedText(), output_field=models.TextField(), db_persist=True
    )
    batch = models.ForeignKey(IngestBatch, on_delete=models.PROTECT, verbose_name="首次导入批次")
    ingested_at = models.DateTimeField("入库时间", auto_now_add=True, db_index=True)
    # M5: the original (and its derived copies) was purged after approval; the row stays as
    # a tombstone, with its retention.DestructionRecord.
    purged_at = models.DateTimeField("清除时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "音像记录"
        verbose_name_plural = "音像记录"
        indexes = [
            # Newest first, per scope (M4). The trailing columns are what the list's counts
            # and facets read (listing.py), so those come from the index alone. (Key columns,
            # not INCLUDE, which SQLite lacks.)
            models.Index(
                fields=["started_at", "unit", "media_kind", "status"], name="recording_time"
            ),
            models.Index(
                fields=["unit", "started_at", "media_kind", "status"], name="recording_unit_time"
            ),
            models.Index(
                fields=["officer", "started_at", "unit", "media_kind", "status"],
                name="recording_officer_time",
            ),
            models.Index(fields=["device", "started_at"]),
            # Unbound recordings by the serial / officer number read from the file name (M4);
            # the trigram index is PostgreSQL-only SQL (migration 0004).
            models.Index(
                Upper("device_serial"),
                condition=Q(device__isnull=True),
                name="recording_unbound_serial",
            ),
            models.Index(
                Upper("officer_no"),
                condition=Q(officer__isnull=True),
                name="recording_unbound_officer_no",
            ),
            # An officer's own uploads waiting for an administrator (org.scope.recording_q).
            models.Index(
                fields=["uploaded_by"],
                condition=Q(officer__isnull=True),
                name="recording_pending_uploader",
            ),
            # Files waiting for an administrator to bind them (待指派): the menu's count and the
            # 待办 list on every page, the list's 待指派 filter. A few thousand rows among
            # millions; without it each count read the whole table (issue 22 §4: 4.6-7.1 s at
            # 10M rows in PostgreSQL, 415 ms at 1M in SQLite). Its keys are what the scope rule
            # asks of a row (org.scope.recording_q), so the count reads the index alone.
            models.Index(
                fields=["unit", "secrecy", "officer", "keeper", "uploaded_by", "started_at"],
                condition=Q(needs_assignment=True, purged_at__isnull=True),
                name="recording_to_assign",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def resolution(self) -> str:
        return f"{self.width}×{self.height}" if self.width and self.height else ""

    @classmethod
    def visible_q(cls, user) -> Q:
        """Unit scope (X2), own, handed-over or own pending uploads for officers, and only
        marks the user is cleared for (M9) except his own (`org.scope.recording_q`)."""
        return recording_q(user)

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("officer", "device", "unit")


class RecordingSource(models.Model):
    """One occurrence of an original: the file name and place it was found (duplicates add rows)."""

    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="sources")
    batch = models.ForeignKey(IngestBatch, on_delete=models.PROTECT)
    original_name = models.CharField("文件名", max_length=255)
    relative_path = models.CharField("相对路径", max_length=1000)
    source_mtime = models.DateTimeField("文件时间", null=True, blank=True)
    seen_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        ordering = ["seen_at"]
        verbose_name = "文件来源"
        verbose_name_plural = "文件来源"

    def __str__(self) -> str:
        return self.relative_path


class QuarantinedFile(models.Model):
    """Bytes that could not be read as media (empty, truncated, corrupt), kept for an administrator."""

    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size_bytes = models.BigIntegerField("大小（字节）")
    storage_key = models.CharField(max_length=200)
    storage_version = models.CharField(max_length=200, blank=True)
    original_name = models.CharField("文件名", max_length=255)
    relative_path = models.CharField("相对路径", max_length=1000)
    error = models.TextField("原因")
    batch = models.ForeignKey(IngestBatch, on_delete=models.PROTECT, verbose_name="导入批次")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, verbose_name="单位"
    )
    created_at = models.DateTimeField("隔离时间", auto_now_add=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution = models.CharField("处理说明", max_length=500, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "隔离文件"
        verbose_name_plural = "隔离文件"

    def __str__(self) -> str:
        return self.relative_path

    @classmethod
    def visible_q(cls, user) -> Q:
        """Quarantined files of the units in a records administrator's scope (all for the
        system administrator); nobody else sees them."""
        if not can_ingest(user):
            return Q(pk__in=[])
        return Q() if sees_everything(user) else unit_q(user)

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("batch", "unit")


class IngestItem(models.Model):
    """The outcome for one file of a batch, as reported to the station and shown on the web."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", "已导入"
        DUPLICATE = "duplicate", "重复"
        QUARANTINED = "quarantined", "已隔离"
        SKIPPED = "skipped", "已跳过"
        FAILED = "failed", "失败"

    batch = models.ForeignKey(IngestBatch, on_delete=models.CASCADE, related_name="items")
    relative_path = models.CharField("相对路径", max_length=1000)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices)
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    recording = models.ForeignKey(Recording, null=True, blank=True, on_delete=models.PROTECT)
    quarantined_file = models.ForeignKey(
        QuarantinedFile, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "导入明细"
        verbose_name_plural = "导入明细"

    def __str__(self) -> str:
        return f"{self.relative_path}: {self.outcome}"


class Derivative(models.Model):
    """A derived copy (thumbnail, browser proxy, a viewer's still snapshot); never the evidence."""

    class Kind(models.TextChoices):
        THUMBNAIL = "thumbnail", "缩略图"
        PROXY = "proxy", "播放代理"
        SNAPSHOT = "snapshot", "截图"

    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="derivatives")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    relative_path = models.CharField(max_length=300)
    mime_type = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # A snapshot's moment in the recording and who took it; empty for the generated copies.
    at_seconds = models.FloatField("时间点（秒）", null=True, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="截取人",
    )

    class Meta:
        constraints = [
            # One thumbnail and one proxy per recording; snapshots are many (issue 17 §5).
            models.UniqueConstraint(
                fields=["recording", "kind"],
                condition=~Q(kind="snapshot"),
                name="one_derivative_per_kind",
            )
        ]
        verbose_name = "派生文件"
        verbose_name_plural = "派生文件"

    def __str__(self) -> str:
        return f"{self.recording_id}/{self.kind}"


class Bookmark(models.Model):
    """A viewer's mark on a recording's timeline: "在此处添加标记" (issue 17 §5)."""

    recording = models.ForeignKey(Recording, on_delete=models.PROTECT, related_name="bookmarks")
    at_seconds = models.FloatField("时间点（秒）")
    text = models.CharField("内容", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="标记人"
    )
    created_at = models.DateTimeField("标记时间", auto_now_add=True)

    class Meta:
        ordering = ["recording", "at_seconds", "pk"]
        verbose_name = "时间轴标记"
        verbose_name_plural = "时间轴标记"

    def __str__(self) -> str:
        return f"{self.recording_id}@{self.at_seconds:.1f} {self.text}"


from avrecords.recordings.models_resumable import ResumableUpload  # noqa: E402, F401 (issue 19 §3)
