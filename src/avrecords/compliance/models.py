"""Enforcement activities and what the compliance engine finds about them (U1–U7, M1, S4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.models import Secrecy
from avrecords.org.scope import (
    has_unit_scope,
    recording_shown,
    secrecy_q,
    sees_everything,
    unit_q,
)

USER = settings.AUTH_USER_MODEL


class ActivitySource(models.TextChoices):
    WEB = "web", "网页录入"
    API = "api", "接口"
    IMPORT = "import", "批量导入"


class Activity(models.Model):
    """One enforcement activity (执法活动): what, where, with whom, when; and what its documents say."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, verbose_name="单位")
    kind = models.CharField("活动类型代码", max_length=40)
    kind_name = models.CharField("活动类型", max_length=100)
    must_record = models.BooleanField("须音像记录")
    cite = models.CharField("依据条款", max_length=100, blank=True)
    case_number = models.CharField("案件编号", max_length=64, blank=True)
    party = models.CharField("当事人", max_length=200, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    planned_start = models.DateTimeField("计划开始", null=True, blank=True)
    planned_end = models.DateTimeField("计划结束", null=True, blank=True)
    started_at = models.DateTimeField("实际开始")
    ended_at = models.DateTimeField("实际结束")
    document_started_at = models.DateTimeField("文书记载开始", null=True, blank=True)
    document_ended_at = models.DateTimeField("文书记载结束", null=True, blank=True)
    document_name = models.CharField(
        "文书", max_length=100, blank=True, help_text="如：现场检查笔录"
    )
    officers = models.ManyToManyField(USER, related_name="activities", verbose_name="执法人员")
    dispute = models.BooleanField("现场发生纠纷或突发事件", default=False)
    explosive_area = models.BooleanField(
        "爆炸危险区域", default=False, help_text="须使用防爆音像记录设备（承德 001§6）"
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
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
    returned_at = models.DateTimeField(
        "返回单位时间", null=True, blank=True, help_text="连续工作、异地执法或偏远地区执法时填写"
    )
    extension_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="同意延期存储",
        help_text="如福州 004§17：经本单位负责人同意可在2个工作日内导出",
    )
    extension_at = models.DateTimeField("同意延期时间", null=True, blank=True)
    external_ref = models.CharField("外部编号", max_length=100, blank=True, db_index=True)
    source = models.CharField("来源", max_length=8, choices=ActivitySource.choices)
    created_by = models.ForeignKey(
        USER, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "执法活动"
        verbose_name_plural = "执法活动"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="activity_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["unit", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="activity_unique_external_ref",
            ),
        ]
        indexes = [models.Index(fields=["unit", "started_at"])]

    def __str__(self) -> str:
        return f"{self.kind_name} {self.party or ''} {self.started_at:%Y-%m-%d}".strip()

    @classmethod
    def visible_q(cls, user) -> Q:
        """Scope (X2): officers their own activities, unit roles their subtree (supervisors the
        units they supervise), sysadmin all; a confidential activity (M9) only to those cleared
        for its mark and to its own officers."""
        if sees_everything(user):
            return secrecy_q(user)
        own = Q(pk__in=cls.objects.filter(officers=user.pk).values("pk"))
        if has_unit_scope(user):
            return unit_q(user) & secrecy_q(user, own=own)
        return own


class LinkOrigin(models.TextChoices):
    AUTO = "auto", "自动关联"
    MANUAL = "manual", "人工关联"


class ActivityRecording(models.Model):
    """A recording linked to an activity; `excluded` keeps a hand-unlinked one from coming back."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="links")
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="activity_links"
    )
    origin = models.CharField("方式", max_length=8, choices=LinkOrigin.choices)
    excluded = models.BooleanField("已人工取消关联", default=False)
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "recording"], name="activity_recording_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} ↔ {self.recording_id}"


class FindingKind(models.TextChoices):
    LATE_INGEST = "late_ingest", "逾期存储"
    GAP = "gap", "记录中断"
    UNCOVERED = "uncovered", "活动过程未全程记录"
    MISSING = "missing", "应记录未记录"
    TIME_MISMATCH = "time_mismatch", "与文书时间不一致"
    OUTSIDE = "outside", "执法活动以外的记录"
    # U5: the officer answers, a reviewer confirms or dismisses; never escalated, never a
    # violation by itself (compliance.notice_check, compliance.notice_answers)
    NO_NOTICE = "no_notice", "未检测到告知语"


class FindingStatus(models.TextChoices):
    OPEN = "open", "待处理"
    EXPLAINED = "explained", "已说明待确认"
    RESOLVED = "resolved", "已处理"
    EXEMPTED = "exempted", "已批准免予记录"
    CLEARED = "cleared", "数据更新后已不存在"
    ESCALATED = "escalated", "已转违规线索"


OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.EXPLAINED)


class Finding(models.Model):
    """Something the engine found against the unit's profile, kept up to date as data arrives."""

    key = models.CharField(max_length=200, unique=True)  # what it is about: recomputing updates it
    kind = models.CharField("类型", max_length=16, choices=FindingKind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, verbose_name="单位")
    officer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    recording = models.ForeignKey(
        "recordings.Recording", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="人员调离后由交接人负责说明（E5）；为空时由 officer 本人负责",
    )
    summary = models.CharField("说明", max_length=300)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    detail = models.JSONField(default=dict)
    respond_by = models.DateTimeField("说明期限", null=True, blank=True)
    opened_at = models.DateTimeField("发现时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "合规问题"
        verbose_name_plural = "合规问题"
        indexes = [
            models.Index(fields=["status", "unit"]),
            models.Index(fields=["officer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.summary}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Findings in the user's scope: officers their own (or handed to them), unit roles
        their subtree, sysadmin all."""
        if sees_everything(user):
            return Q()
        if has_unit_scope(user):
            return unit_q(user)
        return Q(officer=user.pk) | Q(handled_by=user.pk)

    @classmethod
    def visible_rows(cls, qs, user):
        """A finding about a recording the user may not see (M9: marked, and he is not
        cleared) stays in his list, so the work it asks for is not lost, but says nothing of
        which recording: `recording_shown` is false and pages and API leave the reference
        blank."""
        return (
            qs.filter(cls.visible_q(user))
            .select_related("unit", "officer", "activity")
            .annotate(recording_shown=recording_shown(user))
        )


class Explanation(models.Model):
    """An officer's explanation of an interruption (U3), acknowledged by the unit head."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="explanation")
    reason = models.CharField("中断原因代码", max_length=40)
    reason_name = models.CharField("中断原因", max_length=100)
    text = models.TextField("书面说明")
    explained_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    explained_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.reason_name}：{self.text[:30]}"


class Decision(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class Exemption(models.Model):
    """A written work record for an activity done without recording (U4), decided by the leader."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="exemptions")
    ground = models.CharField("情形代码", max_length=40)
    ground_name = models.CharField("情形", max_length=100)
    reason = models.TextField("无法记录的原因")
    legal_basis = models.CharField("依据", max_length=300)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.ground_name}（{self.get_decision_display()}）"


from avrecords.compliance.models_notice import (  # noqa: E402,F401 (U5: one app, two files)
    NoticeCheck,
    NoticeOutcome,
    NoticeReference,
    ReferenceKind,
)
