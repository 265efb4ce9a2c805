"""Supervision (S1–S5): spot-check and annual review campaigns with their stratified samples
and scores, accountability decisions on confirmed violations, and the suspensions they impose.

The violation register (S4) lives here too: `ViolationCandidate`, raised automatically when
compliance or equipment sends an event (a finding escalated or ingested late, a device lost;
`supervision.subscribers`), by the overdue-clearance rule, or entered by a supervisor by hand;
confirming or dismissing one, with reasons, is recorded on it.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.compliance.models import Activity
from avrecords.org.managers import ScopedManager
from avrecords.org.scope import sees_everything, unit_q

USER = settings.AUTH_USER_MODEL


class CampaignKind(models.TextChoices):
    SPOT_CHECK = "spot_check", "抽查"
    ANNUAL_REVIEW = "annual_review", "年度评查"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "未抽样"
    SCORING = "scoring", "评分中"
    CLOSED = "closed", "已结束"


class Campaign(models.Model):
    """A spot check (S2) or annual review (S3, 003§17) over a period and some units."""

    number = models.CharField("编号", max_length=32, unique=True)
    kind = models.CharField("类型", max_length=16, choices=CampaignKind.choices)
    title = models.CharField("名称", max_length=200)
    period_start = models.DateField("抽查期间起")
    period_end = models.DateField("抽查期间止")
    units = models.ManyToManyField("org.Unit", related_name="+", verbose_name="被抽查单位")
    ratio = models.FloatField("抽样比例")
    ratio_cite = models.CharField("比例依据", max_length=200, blank=True)
    seed = models.BigIntegerField("随机种子")
    profile_code = models.CharField("依据规定", max_length=40)
    status = models.CharField(
        max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    population = models.PositiveIntegerField("抽样总体（执法活动数）", default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField("抽样时间", null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField("说明", blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "抽查"
        verbose_name_plural = "抽查"

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Campaigns one of whose units lies in the reader's scope or above it (a bureau-wide
        campaign touches the squad a supervisor is assigned to); all for the system
        administrator; none for those who may not read campaigns."""
        from avrecords.supervision.campaigns import can_read, covers_scope_q

        if not can_read(user):
            return Q(pk__in=[])
        if sees_everything(user):
            return Q()
        return Q(pk__in=cls.objects.filter(covers_scope_q(user)).values("pk"))

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("created_by").prefetch_related("units")


class Sample(models.Model):
    """One activity drawn for a campaign, in its stratum (unit, officer)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="samples")
    activity = models.ForeignKey(
        "compliance.Activity", on_delete=models.PROTECT, related_name="samples"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveIntegerField("顺序")

    objects = ScopedManager()

    class Meta:
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "activity"], name="one_sample_per_activity")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.activity_id}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Samples of the campaigns the reader sees, whose activity he may see himself (M9)."""
        return Q(
            campaign__in=Campaign.objects.visible_to(user).values("pk"),
            activity__in=Activity.objects.visible_to(user).values("pk"),
        )

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "campaign", "activity", "unit", "officer"
        )


class Score(models.Model):
    """A reviewer's score of one sampled activity on the profile's checklist (001§26, 004§22).

    `items`: [{"code", "name", "cite", "passed": bool, "note"}]; `total` is the share of items
    passed, 0–100."""

    sample = models.OneToOneField(Sample, on_delete=models.CASCADE, related_name="score")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    items = models.JSONField("评查项目", default=list)
    total = models.FloatField("得分")
    comment = models.TextField("评语", blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"

    def __str__(self) -> str:
        return f"{self.sample_id}: {self.total:.0f}"


class ScoreNote(models.Model):
    """A remark tied to a moment of a recording: "02:13 未告知"."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="notes")
    recording = models.ForeignKey(
        "recordings.Recording", on_delete=models.PROTECT, related_name="+"
    )
    at_seconds = models.PositiveIntegerField("时间点（秒）")
    text = models.CharField("内容", max_length=300)

    class Meta:
        ordering = ["score", "recording", "at_seconds"]

    def __str__(self) -> str:
        return f"{self.at_seconds // 60:02d}:{self.at_seconds % 60:02d} {self.text}"


class ViolationStatus(models.TextChoices):
    OPEN = "open", "待核查"
    CONFIRMED = "confirmed", "已认定"
    DISMISSED = "dismissed", "已排除"


class ViolationCandidate(models.Model):
    """A possible breach (S4) for supervisors to confirm or dismiss, with its evidence.

    Moved from compliance (issue 16): the table keeps its name, and audit entries keep naming
    the object `compliance.violationcandidate` (`audit_type`), so the history of a candidate
    recorded before the move and after it is one history in the chain."""

    audit_type = "compliance.violationcandidate"

    key = models.CharField(max_length=100, unique=True, null=True, blank=True)  # one per cause
    kind = models.CharField("类型", max_length=32)
    kind_name = models.CharField("类型名称", max_length=100)
    person = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="violation_candidates"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT)
    finding = models.OneToOneField(
        "compliance.Finding",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violation",
    )
    activity = models.ForeignKey(
        "compliance.Activity", null=True, blank=True, on_delete=models.PROTECT
    )
    device = models.ForeignKey(
        "equipment.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recordings = models.ManyToManyField("recordings.Recording", blank=True, related_name="+")
    summary = models.CharField("说明", max_length=300)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=ViolationStatus.choices, default=ViolationStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # S4: entered by a supervisor (automatic candidates have none), and how it was decided
    reported_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("认定时间", null=True, blank=True)
    decision_reason = models.TextField("认定或排除理由", blank=True)

    objects = ScopedManager()

    class Meta:
        db_table = "compliance_violationcandidate"  # the table it always had (no data moves)
        ordering = ["-created_at"]
        verbose_name = "违规线索"
        verbose_name_plural = "违规线索"

    def __str__(self) -> str:
        return f"{self.kind_name}：{self.summary}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Candidates of the units in the reader's scope (X2); all for the system
        administrator; none for those who may not read the register."""
        from avrecords.supervision.violations import can_read

        if not can_read(user):
            return Q(pk__in=[])
        return Q() if sees_everything(user) else unit_q(user)

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "person", "unit", "reported_by", "decided_by", "finding", "activity", "device"
        )


class DecisionStatus(models.TextChoices):
    PENDING = "pending", "待批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class Accountability(models.Model):
    """The decision (S5) on a confirmed violation, from the profile's list, approved by the
    leader; a decision that suspends bars the person from devices and activities (001§28(3))."""

    violation = models.ForeignKey(
        ViolationCandidate, on_delete=models.PROTECT, related_name="decisions"
    )
    person = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="accountabilities")
    decision = models.CharField("处理方式代码", max_length=40)
    decision_name = models.CharField("处理方式", max_length=100)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    suspend_months = models.PositiveSmallIntegerField("停止执法（月）", default=0)
    reason = models.TextField("理由")
    status = models.CharField(
        max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.PENDING
    )
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField("审批意见", max_length=300, blank=True)
    # an approved decision that suspends writes the person's suspension where the apps that
    # refuse him read it (org, below them all); its days are the decision's
    suspension = models.OneToOneField(
        "org.Suspension",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision",
        verbose_name="停止执法",
    )

    objects = ScopedManager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = "责任追究"
        verbose_name_plural = "责任追究"

    def __str__(self) -> str:
        return f"{self.person_id}: {self.decision_name}"

    @property
    def suspended_from(self) -> dt.date | None:
        """First day of the suspension it imposed (None: it suspends nobody, or not yet)."""
        return self.suspension.starts_on if self.suspension_id else None

    @property
    def suspended_until(self) -> dt.date | None:
        """Last day (inclusive) of the suspension it imposed."""
        return self.suspension.ends_on if self.suspension_id else None

    @classmethod
    def visible_q(cls, user) -> Q:
        """Decisions on violations of the units in the reader's scope (as the register)."""
        from avrecords.supervision.violations import can_read

        if not can_read(user):
            return Q(pk__in=[])
        return Q() if sees_everything(user) else unit_q(user, "violation__unit")

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "violation", "violation__unit", "person", "proposed_by", "decided_by"
        )
