"""Cases (案卷, M10): recordings and activities are filed with a case; closing the case starts
the archiving deadline of the unit's profile (e.g. 004§19(2): within 30 days of closure)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from avrecords.org.managers import ScopedManager
from avrecords.org.models import Secrecy
from avrecords.org.scope import has_unit_scope, secrecy_q, sees_everything, unit_q

USER = settings.AUTH_USER_MODEL


class CaseType(models.TextChoices):
    PERMIT = "permit", "行政许可"
    PENALTY = "penalty", "行政处罚"
    COERCION = "coercion", "行政强制"
    LEVY = "levy", "行政征收"
    INSPECTION = "inspection", "行政检查"
    OTHER = "other", "其他"


class CaseStatus(models.TextChoices):
    OPEN = "open", "办理中"
    CLOSED = "closed", "已结案"
    FILED = "filed", "已归档"


class Case(models.Model):
    number = models.CharField("案件编号", max_length=64, unique=True)
    title = models.CharField("案件名称", max_length=200)
    party = models.CharField("当事人", max_length=200, blank=True)
    case_type = models.CharField("案件类型", max_length=16, choices=CaseType.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, verbose_name="承办单位")
    leader = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
        verbose_name="主管领导",
        help_text="案件的主管领导（承德 001§22：查阅经案件的局主管领导批准）",
    )
    status = models.CharField(
        "状态", max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField("立案日期")
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    file_due = models.DateField("归档期限", null=True, blank=True)
    filed_at = models.DateTimeField("归档时间", null=True, blank=True)
    # M5: how long the case file is kept once filed (0 = permanently); recordings kept
    # `with_case` keep its date. Empty until filed: the profile's retention.case_file.years.
    archive_years = models.PositiveSmallIntegerField("案卷保管期限（年）", null=True, blank=True)
    filed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secrecy = models.CharField(
        "密级", max_length=20, choices=Secrecy.choices, blank=True, default=""
    )
    note = models.TextField("备注", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = "案卷"
        verbose_name_plural = "案卷"
        indexes = [models.Index(fields=["status", "file_due"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def visible_q(cls, user) -> Q:
        """Cases in the user's unit scope, or with the officer's own recordings or
        activities; a marked case only for those cleared for its mark (M9), and for the
        officers whose own recordings or activities it holds."""
        if sees_everything(user):
            return secrecy_q(user)
        own = (
            Q(recordings__officer=user.pk)
            | Q(recordings__keeper=user.pk)
            | Q(activities__officers=user.pk)
        )
        own_ids = Q(pk__in=cls.objects.filter(own).values("pk"))
        if has_unit_scope(user):
            return unit_q(user) & secrecy_q(user, own=own_ids)
        return own_ids

    @classmethod
    def visible_rows(cls, qs, user):
        return qs.filter(cls.visible_q(user)).select_related("unit", "leader")
