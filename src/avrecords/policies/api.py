"""JSON API for policy profiles (X3) and working days (M1): read by everyone signed in,
written by system administrators. Profiles travel as YAML, as on the page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Router, Schema, Status

from avrecords.lib import refusals
from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.refusals import NotFound, require
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


def _get(code: str) -> PolicyProfile:
    row = PolicyProfile.objects.filter(code=code).first()
    if row is None:
        raise NotFound("策略不存在")
    return row


@router.get("/policies", response={200: list[ProfileSummary], 401: Error}, summary="全部策略")
def list_profiles(request):
    return list(PolicyProfile.objects.all())


@router.get(
    "/policies/{code}",
    response={200: ProfileOut, 401: Error, 404: Error},
    summary="一个策略（校验后的内容，含出处条款）",
)
def get_profile(request, code: str):
    return _get(code)


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
    return HttpResponse(row.source, content_type="application/yaml; charset=utf-8")


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
    require(can_manage_policies(request.user), "无权导入策略（仅限系统管理员）")
    return Status(201, services.save_profile(request.user, _body_text(request)))


@router.put(
    "/policies/{code}",
    response={200: ProfileOut, 401: Error, 403: Error, 404: Error, 422: Invalid},
    summary="修改自定义策略（请求正文为 YAML）",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
def replace_profile(request, code: str):
    require(can_manage_policies(request.user), "无权修改策略（仅限系统管理员）")
    _get(code)
    return services.save_profile(request.user, _body_text(request), replace=code)


@router.get(
    "/policies/{code}/ingest-due",
    response={200: DueOut, 401: Error, 404: Error, 422: Invalid},
    summary="按策略计算存储期限",
)
def ingest_deadline(
    request, code: str, ended_at: dt.datetime, returned_at: dt.datetime | None = None
):
    row = _get(code)
    if ended_at.tzinfo is None or (returned_at is not None and returned_at.tzinfo is None):
        raise refusals.Invalid("参数无效：时间须带时区，如 2026-10-01T10:00:00+08:00")
    due = ingest_due(row.profile, ended_at, services.calendar(), returned_at=returned_at)
    return {"due_at": due.at, "rule": due.rule, "cite": due.cite, "warning": due.warning}
