"""Retention and disposal (M5, S1): each recording's category and keep-until date, the facts
that decided it, legal holds, shortening requests, disposal lists and destruction records.

A recording's retention is recomputed whenever a fact changes (`retention.services`) and is
only ever extended automatically; a shorter date needs an approved `RetentionChange`.
Nothing is purged before its date, while a hold is in force, or without an archivist's review
and a leader's approval (`retention.disposal`); the purge leaves a `DestructionRecord`, kept
forever, and the recording row stays as a tombstone (`Recording.purged_at`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.scope import recording_q, scope_unit_ids, sees_everything

USER = settings.AUTH_USER_MODEL


def _reader(user) -> bool:
    """May read the retention pages at all (`retention.approvals.can_read`)."""
    from avrecords.retention.approvals import can_read

    return can_read(user)


class RecordingRetention(models.Model):
    """The current category and keep-until date of one recording, with its reason."""

    recording = models.OneToOneField(
        "recordings.Recording",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="retention",
    )
    profile_code = models.CharField("依据规定", max_length=40)
    category = models.CharField("保存类别代码", max_length=40)
    category_name = models.CharField("保存类别", max_length=100)
    keep = models.CharField("保存方式", max_length=16)  # policies.schema.Keep
    # null: no date runs (permanent, or kept with a case file not yet filed: `pending`)
    keep_until = models.DateField("保存至", null=True, blank=True, db_index=True)
    pending = models.BooleanField("待案卷归档后确定", default=False)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    reason = models.CharField("理由", max_length=300)
    facts = models.JSONField("情形", default=list)
    held = models.BooleanField("法律保全中", default=False, db_index=True)
    held_days = models.PositiveIntegerField("已解除保全累计天数", default=0)
    computed_at = models.DateTimeField("计算时间", auto_now=True)
    # What the store was last told (S3 COMPLIANCE retain-until, legal hold); storesync checks.
    store_until = models.DateTimeField("存储锁定至", null=True, blank=True)
    store_hold = models.BooleanField("存储法律保全", default=False)
    store_checked_at = models.DateTimeField("存储核对时间", null=True, blank=True)

    class Meta:
        verbose_name = "保存期限"
        verbose_name_plural = "保存期限"

    def __str__(self) -> str:
        return f"{self.recording_id}: {self.category_name}"


class FactTarget(models.TextChoices):
    RECORDING = "recording", "音像记录"
    ACTIVITY = "activity", "执法活动"
    CASE = "case", "案卷"


class RetentionFact(models.Model):
    """A situation recorded by hand (阻碍执法, 群体性事件, 到期复核有保存价值 …) on a recording,
    an activity or a case; it places their recordings in the profile's category that names it."""

    fact = models.CharField("情形", max_length=40)  # policies.schema.FACTS
    recording = models.ForeignKey(
        "recordings.Recording", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activity = models.ForeignKey(
        "compliance.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=300)
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["set_at", "pk"]
        verbose_name = "保存情形"
        verbose_name_plural = "保存情形"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(recording__isnull=False, activity__isnull=True, case__isnull=True)
                    | Q(recording__isnull=True, activity__isnull=False, case__isnull=True)
                    | Q(recording__isnull=True, activity__isnull=True, case__isnull=False)
                ),
                name="fact_has_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.fact


class HoldKind(models.TextChoices):
    COMPLAINT = "complaint", "投诉"
    PETITION = "petition", "信访（上访）"
    RECONSIDERATION = "reconsideration", "行政复议"
    LITIGATION = "litigation", "行政诉讼"


class HoldStatus(models.TextChoices):
    ACTIVE = "active", "保全中"
    RELEASE_PENDING = "release_pending", "解除待批准"
    RELEASED = "released", "已解除"


class LegalHold(models.Model):
    """A complaint, petition, reconsideration or litigation preserves the recordings of an
    activity or a case (S1, 001§9, 004§10): no clock runs and nothing is purged while in force."""

    number = models.CharField("保全编号", max_length=32, unique=True)
    kind = models.CharField("事由类型", max_length=20, choices=HoldKind.choices)
    status = models.CharField(
        "状态", max_length=20, choices=HoldStatus.choices, default=HoldStatus.ACTIVE
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(
        "compliance.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recordings = models.ManyToManyField(
        "recordings.Recording", related_name="legal_holds", verbose_name="音像记录"
    )
    reference = models.CharField("来文编号", max_length=100, blank=True)
    reason = models.TextField("事由")
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField("保全时间", auto_now_add=True)
    release_reason = models.TextField("解除理由", blank=True)
    release_requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_requested_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField("解除时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        verbose_name = "法律保全"
        verbose_name_plural = "法律保全"
        constraints = [
            models.CheckConstraint(
                condition=Q(activity__isnull=False) | Q(case__isnull=False),
                name="hold_names_activity_or_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Holds of the units in the reader's scope (X2); none for those who may not read."""
        if not _reader(user):
            return Q(pk__in=[])
        return Q() if sees_everything(user) else Q(unit_id__in=scope_unit_ids(user))

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "unit", "case", "activity", "placed_by"
        )


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "待批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class RetentionChange(models.Model):
    """A request to shorten a recording's retention (withdraw a fact recorded by hand, then
    recompute allowing an earlier date): never automatic, approved by the profile's approver."""

    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="+"
    )
    fact = models.ForeignKey(RetentionFact, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.TextField("理由")
    status = models.CharField(
        max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField("审批意见", max_length=300, blank=True)
    before = models.CharField("变更前", max_length=300, blank=True)
    after = models.CharField("变更后", max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "缩短保存期限申请"
        verbose_name_plural = "缩短保存期限申请"

    def __str__(self) -> str:
        return f"{self.recording_id}: {self.get_status_display()}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Shortening requests on recordings the reader may see: units in his scope (X2),
        marks he is cleared for (M9)."""
        if not _reader(user):
            return Q(pk__in=[])
        return recording_q(user, prefix="recording__", resolve_units=True)

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "recording__unit", "requested_by", "fact"
        )


class DisposalStatus(models.TextChoices):
    REVIEW = "review", "待复核"
    SUBMITTED = "submitted", "待批准"
    APPROVED = "approved", "已批准，待清除"
    REJECTED = "rejected", "未批准"
    PURGING = "purging", "清除中"
    DONE = "done", "已完成"


class DisposalList(models.Model):
    """The recordings of one agency whose date has passed (清除清单), reviewed by the archivist
    and approved by the leader before anything is purged (M5)."""

    number = models.CharField("清单编号", max_length=32, unique=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    profile_code = models.CharField("依据规定", max_length=40)
    review_each = models.BooleanField(
        "逐条复核", default=False, help_text="到期后对无保存意义的进行清除（003§15）：每条须标明"
    )
    status = models.CharField(
        max_length=12, choices=DisposalStatus.choices, default=DisposalStatus.REVIEW
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField("审批意见", max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "清除清单"
        verbose_name_plural = "清除清单"

    def __str__(self) -> str:
        return self.number

    @classmethod
    def visible_q(cls, user) -> Q:
        """Disposal lists of the units in the reader's scope (X2); none for those who may not
        read; all for the system administrator."""
        if sees_everything(user):
            return Q()
        if not _reader(user):
            return Q(pk__in=[])
        return Q(unit_id__in=scope_unit_ids(user))


class ItemDecision(models.TextChoices):
    UNDECIDED = "", "未复核"
    PURGE = "purge", "清除"
    KEEP = "keep", "继续保存"


class ItemOutcome(models.TextChoices):
    WAITING = "", "待处理"
    PURGING = "purging", "清除中"
    PURGED = "purged", "已清除"
    KEPT = "kept", "继续保存"
    SKIPPED = "skipped", "未清除（情况已变化）"


class DisposalItem(models.Model):
    disposal = models.ForeignKey(DisposalList, on_delete=models.PROTECT, related_name="items")
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="disposal_items"
    )
    keep_until = models.DateField("保存至")
    category_name = models.CharField("保存类别", max_length=100)
    decision = models.CharField(max_length=8, choices=ItemDecision.choices, blank=True, default="")
    keep_fact = models.CharField("继续保存情形", max_length=40, blank=True)
    keep_reason = models.CharField("继续保存理由", max_length=300, blank=True)
    outcome = models.CharField(max_length=8, choices=ItemOutcome.choices, blank=True, default="")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        ordering = ["disposal", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["disposal", "recording"], name="one_item_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.disposal_id}/{self.recording_id}"


class DestructionRecord(models.Model):
    """清除记录: what was purged, its hash, size and dates, who reviewed and approved, when.
    Kept forever; never edited after completion."""

    recording = models.OneToOneField(
        "recordings.Recording", on_delete=models.PROTECT, related_name="destruction"
    )
    item = models.OneToOneField(DisposalItem, on_delete=models.PROTECT, related_name="record")
    number = models.CharField("清除编号", max_length=40, unique=True)
    original_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.BigIntegerField("大小（字节）")
    storage_key = models.CharField(max_length=200)
    storage_version = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间")
    ingested_at = models.DateTimeField("入库时间")
    officer = models.CharField("执法人员", max_length=120, blank=True)
    unit_name = models.CharField("单位", max_length=200)
    device = models.CharField("设备", max_length=120, blank=True)
    category_name = models.CharField("保存类别", max_length=100)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    keep_until = models.DateField("保存至")
    reviewed_by = models.CharField("复核人", max_length=120)
    approved_by = models.CharField("批准人", max_length=120)
    derivatives = models.JSONField("派生文件", default=list)
    begun_at = models.DateTimeField("开始清除")
    purged_at = models.DateTimeField("清除完成", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-begun_at", "-pk"]
        verbose_name = "清除记录"
        verbose_name_plural = "清除记录"

    def __str__(self) -> str:
        return self.number

    @classmethod
    def visible_q(cls, user) -> Q:
        """Completed destruction records (one still purging is not yet a record) whose
        recording the reader may see: its unit in his scope (X2), its mark one he is cleared
        for (M9; a record names the file it destroyed)."""
        if not _reader(user):
            return Q(pk__in=[])
        return Q(purged_at__isnull=False) & recording_q(
            user, prefix="recording__", resolve_units=True
        )

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("recording", "item__disposal")


class DailyRun(models.Model):
    """Once a day across every worker: the disposal list, the classification sweep and the
    store check (first worker to insert the day's row enqueues the job)."""

    kind = models.CharField(max_length=40)
    day = models.DateField()
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="one_run_a_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"


class StoreCheck(models.Model):
    """One comparison of the computed dates and holds with the store's own locks."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField("核对数", default=0)
    extended = models.PositiveIntegerField("已延长锁定", default=0)
    holds_fixed = models.PositiveIntegerField("已纠正保全", default=0)
    longer = models.PositiveIntegerField("存储锁定长于计算日期", default=0)
    failed = models.PositiveIntegerField("核对失败", default=0)
    drift = models.JSONField("偏差明细", default=list)  # the first 200, for the page

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "存储锁定核对"
        verbose_name_plural = "存储锁定核对"

    def __str__(self) -> str:
        return f"存储锁定核对 {self.started_at:%Y-%m-%d %H:%M}"
