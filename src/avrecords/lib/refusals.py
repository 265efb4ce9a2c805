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

Older domain exceptions (`StepRefused`, `CaseError`…) subclass one of these, so a caller that
catches the domain type keeps working and the faces map them all the same way.
"""

from __future__ import annotations

NOT_FOUND_MESSAGE = "记录不存在或不在您的权限范围内"


class Refusal(Exception):
    """Base of every refusal; `status` is what the faces answer with."""

    status = 400
    default_message = "请求无效"

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.fields = dict(fields or {})
        super().__init__(self.message)

    def as_json(self) -> dict:
        body: dict = {"detail": self.message}
        if self.fields:
            body["errors"] = [{"field": k, "message": v} for k, v in self.fields.items()]
        return body


class Forbidden(Refusal):
    status = 403
    default_message = "无权进行此操作"


class NotFound(Refusal):
    status = 404
    default_message = NOT_FOUND_MESSAGE


class Conflict(Refusal):
    status = 409
    default_message = "当前状态不允许此操作"


class Invalid(Refusal):
    status = 422
    default_message = "提交的内容有误"

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None) -> None:
        if not message and fields:
            message = "；".join(fields.values())
        super().__init__(message, fields=fields)
