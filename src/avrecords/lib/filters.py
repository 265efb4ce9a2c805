"""Reading a list's filter parameters the same way on the page and in the API (issue 16 §5).

Each app's `filters.py` has one filter per list, called by both faces after the scope rule
(`Model.objects.visible_to(user)`): the page passes `request.GET` (strings), the API its
Query schema's `.dict()` (already typed by pydantic). `Params` reads either, collecting a
Chinese reason per invalid parameter; the page shows the reasons as messages over an empty
list, the API answers 422 with them (`refuse`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from avrecords.lib.refusals import Invalid

TRUE_WORDS = frozenset({"1", "true", "on", "yes"})
FALSE_WORDS = frozenset({"0", "false", "off", "no"})


class Params:
    """A list's parameters, read leniently about form (empty means absent), strictly about
    content: a value that is present but not understood is an error, never silently dropped."""

    def __init__(self, data: Mapping) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def _raw(self, name: str):
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
        return None if value is None or value == "" else value

    def text(self, name: str) -> str | None:
        value = self._raw(name)
        return None if value is None else str(value)

    def choice(self, name: str, allowed: Iterable[tuple[str, str]], label: str) -> str | None:
        """One of `allowed`, (code, Chinese name) pairs such as a TextChoices' `.choices`;
        the reason names the choices in Chinese, as the page's select shows them."""
        value = self.text(name)
        names = dict(allowed)
        if value is not None and value not in names:
            self.errors[name] = f"{label}应为 " + "、".join(names.values())
            return None
        return value

    def integer(self, name: str, label: str) -> int | None:
        value = self._raw(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        try:
            return int(str(value))
        except ValueError:
            self.errors[name] = f"{label}应为整数编号"
            return None

    def flag(self, name: str, label: str) -> bool | None:
        value = self._raw(name)
        if value is None or isinstance(value, bool):
            return value
        word = str(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.errors[name] = f"{label}应为 1 或 0"
        return None

    def date(self, name: str, label: str) -> dt.date | None:
        value = self._raw(name)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.errors[name] = f"{label}应为日期，如 2024-05-01"
            return None


def refuse(errors: dict[str, str]) -> None:
    """The API's answer to a filter's errors: 422 naming every invalid parameter (a script's
    author needs the parameter's name; the page's messages say the field's label only)."""
    if errors:
        reasons = [f"{reason}（{name}）" for name, reason in errors.items()]
        raise Invalid("参数无效：" + "；".join(reasons), fields=errors)


def tell(request, errors: dict[str, str]) -> None:
    """The page's answer to a filter's errors: each reason as a message over the list."""
    from django.contrib import messages

    for reason in errors.values():
        messages.error(request, reason)
