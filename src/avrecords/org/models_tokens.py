"""Personal API tokens (issue 18 §2, §5): how a case or HR system calls /api/v1/ on behalf of
a person whose role must sign in with two factors, without his password.

A token is kept only as the SHA-256 of its secret (never the secret) and the secret's first
characters, for recognising it in a list. It belongs to a person today; collection stations
(issue 19) will own tokens of their own, hence the nullable owner. The rules (create, revoke,
rotate, authenticate) are agency/api_tokens.py's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        """Not revoked and not expired now."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A secret an API client sends as `Authorization: Bearer …`, acting as its owner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,  # a station's token (issue 19) will have a station instead
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="所属人员",
    )
    name = models.CharField("名称", max_length=100)  # 人事系统同步
    # the secret's first 8 characters ("avr_" and 4 more): enough to tell tokens apart in a
    # list, far too few to use
    prefix = models.CharField("令牌开头", max_length=8)
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the secret, hex
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "已撤销"
        return "已过期" if self.is_expired else "有效"
