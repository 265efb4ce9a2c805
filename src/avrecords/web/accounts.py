"""One's own account: changing one's password (issue 15, row 13; X1)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.db import transaction

from avrecords.audit.services import record


def change_password(user, new_password: str, *, ip: str = "") -> None:
    """Set a new password that passes AUTH_PASSWORD_VALIDATORS (ValidationError, in Chinese,
    if not); audited as auth.password_change, never with the password."""
    password_validation.validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record("auth.password_change", actor=user, obj=user, summary="修改本人登录密码", ip=ip)
