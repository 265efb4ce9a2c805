"""The first system administrator (issue 18 §4): created by `avrecords createadmin` on the
server, or on the page `/setup/first-admin/` with the one-time setup code.

The code: `avrecords init` on an installation without any user writes a random code to
`AVRECORDS_HOME/first-admin-code` (mode 0600) and prints it. The page creates the first
administrator only with that code, so a fresh server reachable on a network cannot be claimed
by whoever finds it first; the file is deleted once an administrator exists.

The first administrator is a 系统管理员 (role sysadmin) with `is_staff`, so the emergency
admin site opens for him, but not Django's `is_superuser`: his rights come from his role, like
every other person's (web/admin_site.py grants the admin to system administrators by role),
and a superuser would pass every Django permission check besides, which nobody here manages.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from avrecords.audit import services as audit
from avrecords.lib.refusals import Conflict, Invalid, NotFound
from avrecords.org.models import Role, User

CODE_FILE = "first-admin-code"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4  # 16 symbols of 32: 80 bits, not guessable through a web form
FULL_NAME_MAX = User._meta.get_field("full_name").max_length


def code_path() -> Path:
    return Path(settings.AVRECORDS_HOME) / CODE_FILE


def anyone_exists() -> bool:
    """Whether the installation has any person at all (then the page is closed)."""
    return User.objects.exists()


def existing_admin() -> User | None:
    """An active system administrator, if there is one (then `create` refuses)."""
    return User.objects.filter(role=Role.SYSADMIN, is_active=True).order_by("pk").first()


def issue_code() -> str | None:
    """The setup code for the page, made once and kept until used; None when someone exists
    already (the page is closed, and a code left over is removed)."""
    path = code_path()
    if anyone_exists():
        discard_code()
        return None
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    code = "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(code + "\n")
    return code


def discard_code() -> None:
    code_path().unlink(missing_ok=True)


def _normalised(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def code_matches(given: str) -> bool:
    """Whether `given` is the code `avrecords init` wrote (spaces, dashes and case aside)."""
    try:
        kept = code_path().read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return False
    expected, given = _normalised(kept), _normalised(given)
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def _check(user: User, password: str, password_again: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not user.full_name:
        errors["full_name"] = "请填写姓名"
    elif len(user.full_name) > FULL_NAME_MAX:
        errors["full_name"] = f"姓名最多 {FULL_NAME_MAX} 个字"
    try:
        user.full_clean(exclude=["password", "full_name"], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, "；".join(messages))
    if not password:
        errors["password"] = "请设置密码"
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = "".join(exc.messages)
        if password_again is not None and password != password_again:
            errors["password_again"] = "两次输入的密码不一致"
    return errors


@transaction.atomic
def create(
    *,
    username: str,
    full_name: str,
    password: str,
    password_again: str | None = None,
    via: str,
    ip: str = "",
) -> User:
    """The first system administrator. `via` is "command" (refused when an active system
    administrator exists: `Conflict`) or "page" (the page exists only while nobody does:
    `NotFound`). Password rules are AUTH_PASSWORD_VALIDATORS', in Chinese."""
    if via == "page" and anyone_exists():
        raise NotFound()
    if (admin := existing_admin()) is not None:
        raise Conflict(
            f"已有系统管理员（{admin.display_name}，用户名 {admin.username}），不再创建；"
            "请以系统管理员身份登录，在“人员”页面添加人员或重置密码"
        )
    user = User(
        username=(username or "").strip(),
        full_name=(full_name or "").strip(),
        role=Role.SYSADMIN,
        is_staff=True,
    )
    if errors := _check(user, password, password_again):
        raise Invalid(fields=errors)
    user.set_password(password)
    user.save()
    audit.record(
        "agency.first_admin",
        actor=user,
        obj=user,
        summary=f"创建第一个系统管理员 {user.full_name}（{user.username}）",
        detail={
            "via": via,
            "after": {"username": user.username, "full_name": user.full_name, "role": user.role},
        },
        ip=ip,
    )
    transaction.on_commit(discard_code)
    return user
