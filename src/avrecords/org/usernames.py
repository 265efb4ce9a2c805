"""User names that cannot pass for one another (issue 15, row 13; X2).

A user name is what the audit log, the lists and the sign-in page show, so two names that
look alike would let one person pass for another: `zhangwei` and `zhаngwei` (Cyrillic а),
`Guanli` and `guanli`, `wang0l` and `wangOl`. Names are therefore limited to ASCII letters,
digits, `. _ - @` and Chinese characters (no other scripts, no look-alike letters), and a new
or renamed name is refused when its skeleton (NFKC, case-folded, 0→o, 1/i→l, rn→m) equals an
existing name's. Applied by the User model's username field: the admin site's forms and
`createsuperuser` both run it.
"""

from __future__ import annotations

import re
import unicodedata

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

SAFE_NAME = re.compile(r"[A-Za-z0-9._@\-\u3400-\u4dbf\u4e00-\u9fff]+")
LOOK_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l"})


def skeleton(name: str) -> str:
    """What a name looks like, to compare names a reader could mistake for one another."""
    return unicodedata.normalize("NFKC", name).casefold().replace("rn", "m").translate(LOOK_ALIKE)


def look_alike_of(name: str) -> str | None:
    """An existing user name (not `name` itself) that looks like `name`, if any."""
    wanted = skeleton(name)
    User = apps.get_model("org", "User")
    for existing in User.objects.exclude(username=name).values_list("username", flat=True):
        if skeleton(existing) == wanted:
            return existing
    return None


@deconstructible
class UsernameValidator:
    """Refuses characters outside the safe set and names that look like an existing one."""

    def __call__(self, value: str) -> None:
        if not SAFE_NAME.fullmatch(value):
            raise ValidationError(
                "用户名只能由英文字母、数字、汉字及 . _ - @ 组成（不能使用其他文字的字母或空格）",
                code="invalid",
            )
        similar = look_alike_of(value)
        if similar is not None:
            raise ValidationError(
                f"用户名与已有用户名“{similar}”形近，容易混淆，请另选一个",
                code="confusable",
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, UsernameValidator)
