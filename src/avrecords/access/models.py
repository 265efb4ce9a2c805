"""Approved access to originals (M3, M6, M7, M8, M9): requests, their approval steps, and the
registers of what was viewed and copied under them.

A request names what (recordings, a case or an activity: resolved to a fixed list of
recordings when it is made, so approvers approve exactly what they see), why and for how long.
Its chain of approving roles is copied from the unit's policy profile when it is made; the
administrator named by the profile then carries it out, which starts the grant. Playback and
download look for a live grant every time (`access.grants`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.models import Secrecy
from avrecords.org.scope import (
    UNIT_SCOPED_ROLES,
    has_unit_scope,
    sees_everything,
    uncleared_marks,
    unit_q,
)

USER = settings.AUTH_USER_MODEL


class RequestKind(models.TextChoices):
    VIEW = "view", "查阅（调阅）"
    COPY = "copy", "复制"
    EXPORT = "export", "证据导出"
    PRESERVE = "preserve", "长期保存（刻录光盘）"
    REDACTED = "redacted", "提供脱敏副本"
    MARK = "mark", "密级标注或解除"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "已批准，待办理"
    ACTIVE = "active", "已办理"
    REJECTED = "rejected", "未批准"
    WITHDRAWN = "withdrawn", "已撤回"
    REVOKED = "revoked", "已撤销"


class PreserveGround(models.TextChoices):
    """Why originals are kept on disc for the long term (M6: 000§20, 003§16)."""

    DISPUTE = "dispute", "当事人对现场执法、办案有异议，可能投诉、上访"
    OBSTRUCTION = "obstruction", "逃避、拒绝、阻碍执法或谩骂、侮辱、殴打执法人员"
    LITIGATION = "litigation", "涉及复议、诉讼的案件"
    OTHER = "other", "其他重大、敏感或需要长期保存的情况"


class Recipient(models.TextChoices):
    """Who a redacted copy is given to (000§19, 001§25, 003§14, 004§21: privacy and
    commercial secrets are hidden before anything leaves)."""

    PARTY = "party", "当事人"
    COURT = "court", "人民法院"
    REVIEW_BODY = "review_body", "复议机关"
    PUBLIC = "public", "公开发布"


class AccessRequest(models.Model):
    number = models.CharField("申请编号", max_length=32, unique=True)
    kind = models.CharField("申请类型", max_length=12, choices=RequestKind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requester = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="access_requests", verbose_name="申请人"
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, verbose_name="所属单位", related_name="+"
    )
    reason = models.TextField("事由")
    days = models.PositiveSmallIntegerField("有效天数", default=7)
    place = models.CharField("提取地点", max_length=200, blank=True)
    ground = models.CharField(
        "长期保存情形", max_length=16, choices=PreserveGround.choices, blank=True
    )
    mark = models.CharField(
        "申请标注的密级",
        max_length=20,
        choices=Secrecy.choices,
        blank=True,
        help_text="密级申请：要标注的密级，空为解除标注",
    )
    recipient = models.CharField(
        "提供对象", max_length=12, choices=Recipient.choices, blank=True
    )  # redacted copies only
    redactions = models.ManyToManyField(
        "redaction.Redaction",
        blank=True,
        related_name="access_requests",
        verbose_name="脱敏副本",
    )  # the signed-off redacted copies a 提供脱敏副本 request gives out
    with_redacted = models.BooleanField(
        "同时附脱敏副本",
        default=False,
        help_text="证据导出、长期保存：在原始文件旁附上已确认可提供的脱敏副本",
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, verbose_name="案卷"
    )
    activity = models.ForeignKey(
        "compliance.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="执法活动",
    )
    recordings = models.ManyToManyField(
        "recordings.Recording", related_name="access_requests", verbose_name="音像记录"
    )
    profile_code = models.CharField("依据规定", max_length=40)
    chain = models.JSONField("审批流程", default=list)
    executed_by_role = models.CharField("办理角色", max_length=20, blank=True)
    cite = models.CharField("依据条款", max_length=100, blank=True)
    step = models.PositiveSmallIntegerField("当前审批步骤", default=0)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("审批完成时间", null=True, blank=True)
    executor = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="办理人",
    )
    executed_at = models.DateTimeField("办理时间", null=True, blank=True)
    valid_until = models.DateTimeField("有效期至", null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.CharField("撤销理由", max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "查阅复制申请"
        verbose_name_plural = "查阅复制申请"
        indexes = [
            models.Index(fields=["status", "valid_until"]),
            models.Index(fields=["requester", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """A person's own requests; unit roles also those of their units; sysadmin all. A
        request naming a recording, case or activity marked for a secrecy the person is not
        cleared for stays hidden from him (M9: the request shows their names), unless it is
        his own. The head of an office the profile names for a step (chengde 001§22: the
        办公室主任 reviews) sees the requests of the units that profile covers."""
        own = Q(requester=user.pk)
        if sees_everything(user):
            scope = Q()
        elif has_unit_scope(user):
            # imported here: the approvals engine builds the profile's schema, which no
            # command's start-up needs (issue 22 §1)
            from avrecords.policies import approvals

            scope = unit_q(user) | own | approvals.decided_by_office(user)
        else:
            return own
        if hidden := uncleared_marks(user):
            marked = cls.objects.filter(
                Q(recordings__secrecy__in=hidden)
                | Q(case__secrecy__in=hidden)
                | Q(activity__secrecy__in=hidden)
            )
            scope &= ~Q(pk__in=marked.values("pk")) | own
        return scope

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related(
            "requester", "unit", "case", "activity", "executor"
        )


class Decision(models.TextChoices):
    APPROVE = "approve", "同意"
    REJECT = "reject", "不同意"


class ApprovalStep(models.Model):
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField("步骤")
    role = models.CharField("审批角色", max_length=20)
    approver = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="审批人"
    )
    decision = models.CharField("意见", max_length=8, choices=Decision.choices)
    comment = models.CharField("审批意见", max_length=500, blank=True)
    at = models.DateTimeField("审批时间", auto_now_add=True)

    class Meta:
        ordering = ["request", "index"]
        constraints = [
            models.UniqueConstraint(fields=["request", "index"], name="one_decision_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.request.number} 第{self.index + 1}步 {self.get_decision_display()}"


class RegisterKind(models.TextChoices):
    VIEW = "view", "查阅"
    COPY = "copy", "复制"


class RegisterEntry(models.Model):
    """One act in the 查阅登记簿 or 复制登记簿 (M8: 001§22, 004§21): who, under which approved
    request (requester, approvers, executor, reason), what, when."""

    register = models.CharField("登记簿", max_length=8, choices=RegisterKind.choices)
    act = models.CharField("行为", max_length=40)
    request = models.ForeignKey(
        AccessRequest, on_delete=models.PROTECT, related_name="register_entries"
    )
    recording = models.ForeignKey(
        "recordings.Recording",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="音像记录",
    )
    item = models.CharField("事项", max_length=300)
    # a redacted copy given out or downloaded (M2: a derived copy, never the original)
    redaction = models.ForeignKey(
        "redaction.Redaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="脱敏副本",
    )
    sha256 = models.CharField("副本 SHA-256", max_length=64, blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name="人员")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "登记簿记录"
        verbose_name_plural = "登记簿记录"

    def __str__(self) -> str:
        return f"{self.get_register_display()} {self.item}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Entries of the user's unit scope (all for the system administrator); an officer's
        own acts and the acts under his requests."""
        if sees_everything(user):
            return Q()
        if user.role in UNIT_SCOPED_ROLES:
            return unit_q(user)
        return Q(actor=user.pk) | Q(request__requester=user.pk)
