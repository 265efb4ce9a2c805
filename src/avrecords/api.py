"""The /api/v1/ root: authentication, error shapes, and each app's router."""

from django.contrib.auth import authenticate
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBasicAuth
from ninja.security import SessionAuth as CookieSession


class BasicAuth(HttpBasicAuth):
    """HTTP Basic for station scripts (sessions are for browsers)."""

    def authenticate(self, request, username, password):
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


class SessionAuth(CookieSession):
    """The browser's session (with its CSRF check). A request carrying credentials of its own,
    or no signed-in session at all, is not a browser's: it is answered 401, not a CSRF 403."""

    def __call__(self, request):
        if request.headers.get("Authorization") or not request.user.is_authenticated:
            return None
        return super().__call__(request)


class Error(Schema):
    """Every error response: a Chinese message for the user."""

    detail: str


class Invalid(Schema):
    """422: which parameters were wrong (Chinese summary plus pydantic's details)."""

    detail: str
    errors: list[dict]


api = NinjaAPI(
    title="AVRecords 行政执法音像记录管理平台 API",
    version="1",
    # Basic first: a station script or case system has no session, and the session check
    # would refuse its POST for want of a CSRF token before Basic was ever tried. A browser
    # sends no Authorization header, so it falls through to the session (with CSRF).
    auth=[BasicAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    # Outside scope and nonexistent look the same (X2): no hint that a record exists.
    return api.create_response(request, {"detail": "记录不存在或不在您的权限范围内"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(request, {"detail": "未登录或用户名、密码错误"}, status=401)
    response["WWW-Authenticate"] = 'Basic realm="AVRecords", charset="UTF-8"'
    return response


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        message = "请求内容无法解析：应为 JSON"
    elif exc.status_code == 403 and "CSRF" in str(exc):
        message = "无权提交：页面已过期（CSRF 校验失败），请刷新后重试"
    else:
        message = str(exc)
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    fields = [".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors]
    named = "、".join(f for f in fields if f) or "请求内容"
    return api.create_response(
        request, {"detail": f"参数无效：{named}", "errors": exc.errors}, status=422
    )


def _register():
    from avrecords.access.api import router as access_router
    from avrecords.cases.api import router as cases_router
    from avrecords.compliance.api import router as compliance_router
    from avrecords.equipment.api_checks import router as checks_router
    from avrecords.fixity.api import router as fixity_router
    from avrecords.policies.api import router as policies_router
    from avrecords.recordings.api import router as recordings_router
    from avrecords.retention.api import router as retention_router
    from avrecords.supervision.api_campaigns import router as campaigns_router
    from avrecords.supervision.api_quality import router as quality_router
    from avrecords.supervision.api_violations import router as violations_router

    api.add_router("/", recordings_router)
    api.add_router("/", fixity_router)
    api.add_router("/", policies_router)
    api.add_router("/", compliance_router)
    api.add_router("/devices", checks_router)
    api.add_router("/", access_router)
    api.add_router("/", cases_router)
    api.add_router("/", retention_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", quality_router)
    api.add_router("/", violations_router)


_register()
