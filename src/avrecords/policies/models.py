"""Policy profiles (X3), the unit each applies to, and the administrators' calendar table (M1)."""

from django.conf import settings
from django.db import models

_PARSED: dict = {}  # (pk, updated_at) → schema.Profile; profiles are frozen models


class PolicyProfile(models.Model):
    """One agency's rules as a validated YAML document (schema.Profile), with its articles."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    builtin = models.BooleanField("随产品提供", default=False)
    source = models.TextField("YAML 原文")
    data = models.JSONField("校验后的内容")
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="更新人",
    )

    class Meta:
        ordering = ["-builtin", "code"]
        verbose_name = "执法音像记录策略"
        verbose_name_plural = "执法音像记录策略"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def profile(self):
        """The validated profile; parsed once per saved version (pages and the compliance
        engine ask for it many times per request)."""
        from avrecords.policies.schema import Profile

        key = (self.pk, self.updated_at)
        parsed = _PARSED.get(key)
        if parsed is None:
            if len(_PARSED) >= 64:
                _PARSED.clear()
            parsed = _PARSED[key] = Profile.model_validate(self.data)
        return parsed


class UnitPolicy(models.Model):
    """The profile assigned to a unit; its subtree inherits it unless a unit has its own."""

    unit = models.OneToOneField(
        "org.Unit", on_delete=models.CASCADE, related_name="policy", verbose_name="单位"
    )
    profile = models.ForeignKey(PolicyProfile, on_delete=models.PROTECT, verbose_name="策略")
    assigned_at = models.DateTimeField("指定时间", auto_now=True)

    class Meta:
        verbose_name = "单位适用策略"
        verbose_name_plural = "单位适用策略"

    def __str__(self) -> str:
        return f"{self.unit} → {self.profile.code}"


class HolidayOverride(models.Model):
    """A day entered by an administrator: holiday or adjusted working day (overrides the library)."""

    day = models.DateField("日期", unique=True)
    workday = models.BooleanField("是否上班")
    name = models.CharField("名称", max_length=50, blank=True, help_text="如：春节、国庆节调休上班")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="录入人",
    )
    entered_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.workday else '休息'} {self.name}"
