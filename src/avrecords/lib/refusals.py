"""Typed refusals: what a service raises when it will not do what it was asked (issue 16 §5).

A service says *why* in Chinese for the user; the faces turn the type into a status in one
place each — `avrecords.api` for `/api/v1/` (JSON `{"detail": …, "errors": …}`) and
`avrecords.web.refusal_pages` for pages — so endpoints and views shrink to parse → call →
render and never write a 403/404 preamble of their own.

| type        | status | meaning                                                         |
|-------------|--------|-----------------------------------------------------------------|
| `Forbidden` | 403    | the person may not do this (role, clearance, not the requester) |
| `NotFound`  | 404    | missing, or outside the person's scope (X2: the two look alike) |
| `Conflict`  | 409    | the object's state does not allow it now (already decided…)     |
| `Invalid`   | 422    | what was submitted is wrong; `fields` names each field's reason |
| `Refusal`   | 400    | refused as asked: older domain refusals whose API always said 400 |

`Forbidden` is also Django's `PermissionDenied` and `NotFound` its `Http404`, so code and tests
that expect Django's exceptions keep working. Older domain exceptions (`StepRefused`,
`CaseError`…) subclass one of these and keep their `ValueError`/`PermissionError` base, so a
caller that catches the domain type keeps working and the faces map them all the same way.
One whose reasons mix state and input and whose API has always answered 400 subclasses
`Refusal` itself: its clients rely on that status.

A refusal's reasons are `fields` (name → reason) and `reasons` (reasons without a field);
the API lists them as `errors` (always present on a 422, as its schema says), and where
`reasons_name_fields` each "field：reason" with its field. `api_prefix`
says what did not happen before the reason in the API's detail ("未保存：…"), where a domain
refusal's endpoints always said so; pages show the reason alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.http import Http404

NOT_FOUND_MESSAGE = "记录不存在或不在您的权限范围内"


class Refusal(Exception):
    """Base of every refusal; `status` is what the faces answer with."""

    status = 400
    default_message = "请求无效"
    api_prefix = ""
    # Reasons written "field：reason" (a profile's, an activity's) name their field on the API.
    reasons_name_fields = False

    def __init__(
        self,
        message: str = "",
        *,
        fields: dict[str, str] | None = None,
        reasons: list[str] | None = None,
    ) -> None:
        self.fields = dict(fields or {})
        self.reasons = list(reasons or [])
        given = message or "；".join([*self.fields.values(), *self.reasons])
        # A page shows its own general wording for a refusal raised without a reason.
        self.explained = bool(given)
        self.message = given or self.default_message
        super().__init__(self.message)

    def error_items(self) -> list[dict]:
        """Each reason for the API's `errors`: named ones with their field."""
        items = [{"field": k, "message": v} for k, v in self.fields.items()]
        for reason in self.reasons:
            field, _, message = reason.partition("：")
            if self.reasons_name_fields and message:
                items.append({"field": field, "message": message})
            else:
                items.append({"message": reason})
        return items

    def as_json(self) -> dict:
        body: dict = {"detail": self.api_prefix + self.message}
        errors = self.error_items()
        if errors or self.status == Invalid.status:
            body["errors"] = errors
        return body


class Forbidden(Refusal, PermissionDenied):
    status = 403
    default_message = "无权进行此操作"


class NotFound(Refusal, Http404):
    status = 404
    default_message = NOT_FOUND_MESSAGE


class Conflict(Refusal):
    status = 409
    default_message = "当前状态不允许此操作"


class Invalid(Refusal):
    status = 422
    default_message = "提交的内容有误"


def require(allowed: bool, message: str = "") -> None:
    """The one-line permission check of an endpoint or view: Forbidden unless allowed."""
    if not allowed:
        raise Forbidden(message)


@contextmanager
def fields_named(names: dict[str, str]) -> Iterator[None]:
    """A service's refusal naming its fields as an API's body names them (`unit` → `unit_id`):
    the same refusal, its class, message and reasons kept; only the field names change."""
    try:
        yield
    except Refusal as exc:
        exc.fields = {names.get(name, name): reason for name, reason in exc.fields.items()}
        raise
