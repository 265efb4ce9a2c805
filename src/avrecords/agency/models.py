"""What the agency app keeps of its own (issue 18 §4)."""

from django.conf import settings
from django.db import models


class SetupDeferral(models.Model):
    """A system administrator chose 稍后再说 on the first-run checklist: signing in no longer
    lands him on it (issue 18 §4)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="系统管理员",
    )
    deferred_at = models.DateTimeField("选择稍后再说的时间", auto_now_add=True)

    class Meta:
        verbose_name = "初始设置暂缓"
        verbose_name_plural = "初始设置暂缓"

    def __str__(self) -> str:
        return str(self.user)
