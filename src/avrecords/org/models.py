"""Units as a tree and the people in them (X2)."""

from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as AuthUserManager
from django.db import models, transaction
from django.db.models import Q

from avrecords.org.managers import ScopedManager, ScopedQuerySet
from avrecords.org.usernames import UsernameValidator


class Unit(models.Model):
    """A unit of the agency (局、科室、中队…), placed in a tree by its materialised path."""

    name = models.CharField("名称", max_length=100)
    code = models.CharField("单位代码", max_length=32, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级单位",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    field_squad = models.BooleanField(
        "现场执法分队", default=False, help_text="配备标准按现场执法分队计（如福州 004§5）"
    )
    # A retired unit keeps its history (recordings, ledger, audit name it) but takes no new
    # people, devices or children and is left out of pickers (issue 18 §1).
    retired_at = models.DateTimeField("撤销时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["path"]
        verbose_name = "单位"
        verbose_name_plural = "单位"

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        prefix = self.parent.path if self.parent_id else ""
        path = f"{prefix}{self.pk:06d}."
        if path != self.path:
            old = self.path
            Unit.objects.filter(pk=self.pk).update(path=path)
            self.path = path
            if old:
                for child in Unit.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    Unit.objects.filter(pk=child.pk).update(path=path + child.path[len(old) :])

    @property
    def depth(self) -> int:
        return self.path.count(".") - 1

    @classmethod
    def visible_q(cls, user) -> Q:
        """Units the user may see (X2): unit roles their scope's subtrees (a supervisor the
        units he supervises), everyone else his own unit, system administrators all."""
        from avrecords.org.scope import scope_roots, sees_everything

        if sees_everything(user):
            return Q()
        roots = scope_roots(user) or ([user.unit.path] if user.unit_id else [])
        if not roots:
            return Q(pk__in=[])
        return reduce(or_, (Q(path__startswith=path) for path in roots))


class Role(models.TextChoices):
    OFFICER = "officer", "执法人员"
    ADMIN = "admin", "设备及音像资料管理员"
    UNIT_HEAD = "unit_head", "单位负责人"
    LEADER = "leader", "分管领导"
    SUPERVISOR = "supervisor", "监督人员"
    ARCHIVIST = "archivist", "档案管理员"
    SYSADMIN = "sysadmin", "系统管理员"


class Secrecy(models.TextChoices):
    """Confidentiality marks (M9: 000§19, 001§25, 003§14, 004§21)."""

    NONE = "", "无"
    STATE_SECRET = "state_secret", "国家秘密"
    COMMERCIAL_SECRET = "commercial_secret", "商业秘密"
    PRIVACY = "privacy", "个人隐私"


SECRECY_RANK = {Secrecy.STATE_SECRET: 3, Secrecy.COMMERCIAL_SECRET: 2, Secrecy.PRIVACY: 1}


class UserManager(AuthUserManager.from_queryset(ScopedQuerySet)):
    """Django's user manager (create_user…) with the scope rule's `visible_to`."""


class User(AbstractUser):
    """A person who signs in: officer, administrator, leader… with 执法证号 and unit."""

    username = models.CharField(
        "用户名",
        max_length=150,
        unique=True,
        validators=[UsernameValidator()],
        help_text="英文字母、数字、汉字及 . _ - @，最多 150 个字符；不得与已有用户名形近"
        "（如拉丁字母 a 与西里尔字母 а、数字 0 与字母 O）",
        error_messages={"unique": "该用户名已被使用"},
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    badge_no = models.CharField("执法证号", max_length=32, unique=True, null=True, blank=True)
    officer_no = models.CharField(
        "执法记录编号",
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text="记录仪文件名中的人员编号（警号/执法编号）",
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, verbose_name="所属单位"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.OFFICER)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    supervised_units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="supervisors",
        verbose_name="监督的单位",
        help_text="监督人员：所监督（挂钩）的单位及其下级单位（如福州 004§22）；未指定时为本单位",
    )
    secrecy_clearances = models.JSONField(
        "涉密知悉范围",
        default=list,
        blank=True,
        help_text="可知悉的密级：state_secret 国家秘密、commercial_secret 商业秘密、"
        "privacy 个人隐私（M9）",
    )

    # Set when an administrator resets the password: the next sign-in must choose a new one
    # before anything else (issue 18 §1).
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = UserManager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"

    def __str__(self) -> str:
        return self.full_name or self.username

    @classmethod
    def visible_q(cls, user) -> Q:
        """People whose custody ledger and clearance the user may see (X2): those of the units
        in a unit role's scope, one's own record otherwise, everyone for system
        administrators."""
        from avrecords.org.scope import has_unit_scope, sees_everything, unit_q

        if sees_everything(user):
            return Q()
        if has_unit_scope(user):
            return unit_q(user)
        return Q(pk=user.pk)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Suspension(models.Model):
    """A period in which a person may not do enforcement work (S5; chengde 001§28(3)
    停止执法工作): no device is issued to him (equipment.custody) and he is named on no
    activity (compliance.activities), from `starts_on` to `ends_on`, both days included.

    It lives here, low, because those apps read it; it is written by the app that decides it
    (supervision, when the leader approves an accountability decision that suspends, which
    points at its row). Read and written through `org.suspensions`."""

    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="suspensions")
    starts_on = models.DateField("停止执法起")
    ends_on = models.DateField("停止执法止")  # inclusive
    basis = models.CharField("依据", max_length=200)  # 停止执法工作一个月，001§28(3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_on", "-pk"]
        indexes = [models.Index(fields=["person", "ends_on"])]
        verbose_name = "停止执法"
        verbose_name_plural = "停止执法"

    def __str__(self) -> str:
        return f"{self.person} 停止执法 {self.starts_on} 至 {self.ends_on}"


# Personal API tokens live in their own module (issue 18 §2); Django finds models it imports.
from avrecords.org.models_tokens import ApiToken  # noqa: E402, F401
