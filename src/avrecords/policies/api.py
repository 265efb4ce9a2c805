"""JSON API for policy profiles (X3) and working days (M1): read by everyone signed in,
written by system administrators. Profiles travel as YAML, as on the page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Router, Schema, Status

from avrecords.lib.api_schemas import Error, Invalid
from avrecords.org.scope import can_manage_policies
from avrecords.policies import services
from avrecords.policies.deadlines import ingest_due
from avrecords.policies.models import PolicyProfile

router = Router(tags=["执法策略"])


class ProfileSummary(Schema):
    code: str
    name: str
    builtin: bool
    updated_at: dt.datetime


class ProfileOut(ProfileSummary):
    profile: dict

    @staticmethod
    def resolve_profile(obj: PolicyProfile) -> dict:
        return obj.data


class DueOut(Schema):
    due_at: dt.datetime
    rule: str
    cite: str
    warning: str


def _get(code: str) -> PolicyProfile | None:
    return PolicyProfile.objects.filter(code=code).first()


NOT_FOUND = {"detail": "策略不存在"}


@router.get("/policies", response={200: list[ProfileSummary], 401: Error}, summary="全部策略")
def list_profiles(request):
    return list(PolicyProfile.objects.all())


@router.get(
    "/policies/{code}",
    response={200: ProfileOut, 401: Error, 404: Error},
    summary="一个策略（校验后的内容，含出处条款）",
)
def get_profile(request, code: str):
    row = _get(code)
    return row if row is not None else Status(404, NOT_FOUND)


@router.get(
    "/policies/{code}/yaml",
    response={200: None, 401: Error, 404: Error},
    summary="导出策略 YAML",
    openapi_extra={
        # the profile as YAML: a mapping once parsed
        "responses": {200: {"content": {"application/yaml": {"schema": {"type": "object"}}}}}
    },
)
def export_profile(request, code: str):
    row = _get(code)
    if row is None:
        return Status(404, NOT_FOUND)
    return HttpResponse(row.source, content_type="application/yaml; charset=utf-8")


def _rejected(exc: services.ProfileInvalid) -> Status:
    """422 naming each wrong field: {"field": "staffing.officers_per_camera", "message": …}."""
    errors = []
    for text in exc.errors:
        field, _, message = text.partition("：")
        errors.append({"field": field, "message": message} if message else {"message": text})
    return Status(422, {"detail": "策略未保存：" + "；".join(exc.errors), "errors": errors})


def _body_text(request) -> str:
    try:
        return request.body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise services.ProfileInvalid(["请求正文不是 UTF-8 编码的 YAML"]) from exc


@router.post(
    "/policies",
    response={201: ProfileOut, 401: Error, 403: Error, 422: Invalid},
    summary="导入新策略（请求正文为 YAML）",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
def create_profile(request):
    if not can_manage_policies(request.user):
        return Status(403, {"detail": "无权导入策略（仅限系统管理员）"})
    try:
        row = services.save_profile(request.user, _body_text(request))
    except services.ProfileInvalid as exc:
        return _rejected(exc)
    return Status(201, row)


@router.put(
    "/policies/{code}",
    response={200: ProfileOut, 401: Error, 403: Error, 404: Error, 422: Invalid},
    summary="修改自定义策略（请求正文为 YAML）",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
def replace_profile(request, code: str):
    if not can_manage_policies(request.user):
        return Status(403, {"detail": "无权修改策略（仅限系统管理员）"})
    if _get(code) is None:
        return Status(404, NOT_FOUND)
    try:
        return services.save_profile(request.user, _body_text(request), replace=code)
    except services.ProfileReadOnly as exc:
        return Status(403, {"detail": f"无权修改：{exc}"})
    except services.ProfileInvalid as exc:
        return _rejected(exc)


@router.get(
    "/policies/{code}/ingest-due",
    response={200: DueOut, 401: Error, 404: Error, 422: Invalid},
    summary="按策略计算存储期限",
)
def ingest_deadline(
    request, code: str, ended_at: dt.datetime, returned_at: dt.datetime | None = None
):
    row = _get(code)
    if row is None:
        return Status(404, NOT_FOUND)
    if ended_at.tzinfo is None or (returned_at is not None and returned_at.tzinfo is None):
        return Status(
            422, {"detail": "参数无效：时间须带时区，如 2026-10-01T10:00:00+08:00", "errors": []}
        )
    due = ingest_due(row.profile, ended_at, services.calendar(), returned_at=returned_at)
    return {"due_at": due.at, "rule": due.rule, "cite": due.cite, "warning": due.warning}
