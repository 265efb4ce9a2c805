"""The /api/v1/ root: authentication, error shapes, and each app's router.

Every operation declares the errors any request to it can meet (`COMMON_ERRORS`, added in
one place once the routers are registered), so the OpenAPI document lists every status the
API answers (issue 15, row 16). Errors outside any operation (an unknown path, a non-integer
id, a wrong method) are turned into the same JSON by `web.middleware.ApiJsonErrorsMiddleware`.
"""

import copy
import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBasicAuth, HttpBearer
from ninja.security import SessionAuth as CookieSession

from avrecords.agency import api_tokens, two_factor
from avrecords.lib.api_schemas import PAGE_NUMBER_MAX, Error, Invalid  # noqa: F401 (re-exported)
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Forbidden, Refusal
from avrecords.stations.auth import station_for_secret
from avrecords.web.middleware import API_ERROR_MESSAGES
from avrecords.web.password_change_required import API_MESSAGE as PASSWORD_CHANGE_MESSAGE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
JSON_MEDIA_TYPE = "application/json"
MULTIPART_MEDIA_TYPE = "multipart/form-data"
MEDIA_TYPE_NAMES = {
    JSON_MEDIA_TYPE: "JSON",
    MULTIPART_MEDIA_TYPE: "文件上传表单（multipart）",
    "application/yaml": "YAML",
}

logger = logging.getLogger(__name__)


class UnsupportedMediaType(Exception):
    """A Basic-authenticated request that changes something, with a body of another type."""

    def __init__(self, accepted: tuple[str, ...]) -> None:
        super().__init__(", ".join(accepted))
        self.accepted = accepted


# A person whose role must sign in with two factors calls the API with a token, never with his
# password alone (issue 18 §5).
PASSWORD_REFUSED_MESSAGE = "按规定须双因素登录的账号不能以密码调用接口，请在“接口令牌”页创建令牌"


class PasswordRefused(Exception):
    """HTTP Basic with the right password of a person whose role must use two factors."""


class BearerAuth(HttpBearer):
    """`Authorization: Bearer avr_…`: a personal API token (agency/api_tokens.py), for a case
    or HR system acting as the person who made it (issue 18 §2). A browser never sends it
    unasked, so it needs no CSRF check and no body-type rule. An unknown, revoked or expired
    token is answered 401 with its reason (`_token_refused`)."""

    def authenticate(self, request, token):
        found = api_tokens.authenticate(token)
        user = found.user
        if user.must_change_password:  # as for HTTP Basic (issue 18 §1)
            raise Forbidden(PASSWORD_CHANGE_MESSAGE)
        request.user = user
        request.api_token = found  # /api/v1/tokens marks the one a call is made with
        return user


class StationAuth(HttpBearer):
    """`Authorization: Bearer avr_…` of a collection station (issue 19 §1): its own token,
    checked by `stations.auth.station_for_secret`, the one station authentication. The
    station's endpoints (`/api/v1/station/…`, the resumable uploads) take only this; a
    person's token is refused there, as a station's is on a person's endpoints (401 with the
    reason, `_token_refused`). `request.station` (and `request.auth`) is the `Station`."""

    def authenticate(self, request, token):
        station = station_for_secret(token, ip=client_ip(request))
        request.station = station
        return station


class BasicAuth(HttpBasicAuth):
    """HTTP Basic for station scripts (sessions are for browsers).

    A Basic-authenticated request that changes something must say its body is JSON, even an
    empty one (or a type the operation documents instead: multipart for an upload, YAML for a
    policy; `_declare_common_errors`), else 415 (issue 15, row 14). A browser sends a
    cross-site request without a CORS preflight (which this API never grants) only as
    urlencoded, multipart, text/plain or without a type, so Basic credentials a browser happens
    to hold cannot be ridden by another site. Nor does the API make a browser hold them: see
    `_unauthenticated`.
    """

    accepted_media_types: tuple[str, ...] = (JSON_MEDIA_TYPE,)

    def __call__(self, request):
        user = super().__call__(request)
        if user is not None and request.method not in SAFE_METHODS:
            if request.content_type not in self.accepted_media_types:
                raise UnsupportedMediaType(self.accepted_media_types)
        return user

    def authenticate(self, request, username, password):
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            if two_factor.is_required(user):
                raise PasswordRefused(PASSWORD_REFUSED_MESSAGE)
            if user.must_change_password:  # an administrator's password (issue 18 §1)
                raise Forbidden(PASSWORD_CHANGE_MESSAGE)
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


class OwnSwagger(Swagger):
    """The docs page with Swagger UI from our own static files, never a CDN. ninja renders its
    own template only when it is an installed app, which it is not (settings, issue 22 §1);
    otherwise it renders `template_cdn`, which here is that same template."""

    template_cdn = str(settings.NINJA_FILES / "templates" / "ninja" / "swagger.html")


api = NinjaAPI(
    title="AVRecords 行政执法音像记录管理平台 API",
    version="1",
    docs=OwnSwagger(),
    # A token or Basic first: a station script or case system has no session, and the session
    # check would refuse its POST for want of a CSRF token before they were ever tried. A
    # browser sends no Authorization header, so it falls through to the session (with CSRF).
    auth=[BearerAuth(), BasicAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    # Outside scope and nonexistent look the same (X2): no hint that a record exists.
    return api.create_response(request, {"detail": API_ERROR_MESSAGES[404]}, status=404)


@api.exception_handler(Refusal)
def _refused(request, exc: Refusal):
    # The API's half of the one error mapping (issue 16 §5): a service's typed refusal.
    return api.create_response(request, exc.as_json(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(request, {"detail": API_ERROR_MESSAGES[401]}, status=401)
    # The Basic challenge goes only to a client that sent credentials of its own (a script).
    # A browser that gets it asks its user for a password and then sends it unasked with
    # every request to this site, cross-site ones included (issue 15, row 14); a browser's
    # way in is the session of the login page.
    if request.headers.get("Authorization"):
        response["WWW-Authenticate"] = 'Basic realm="AVRecords", charset="UTF-8"'
    return response


@api.exception_handler(api_tokens.TokenRefused)
@api.exception_handler(PasswordRefused)
def _token_refused(request, exc):
    # 401 with the reason: the client sent credentials that open nothing here; what it needs
    # is a (new) token, so the challenge names that scheme, not Basic.
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="AVRecords", charset="UTF-8"'
    return response


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    # A multipart body Django cannot split (a bad or missing boundary): the client's fault, said
    # in Chinese, not a 500 (found by fuzzing /api/v1/people/import).
    logger.info("multipart body refused on %s: %s", request.path, exc)
    message = "上传的内容无法解析：multipart/form-data 的格式或分隔符（boundary）有误"
    return api.create_response(request, {"detail": message}, status=400)


@api.exception_handler(UnsupportedMediaType)
def _unsupported_media_type(request, exc):
    accepted = "或".join(MEDIA_TYPE_NAMES.get(t, t) for t in exc.accepted)
    message = f"{API_ERROR_MESSAGES[415]}：以 HTTP Basic 认证提交时，请求内容应为 {accepted}"
    return api.create_response(request, {"detail": message}, status=415)


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
    from avrecords.agency.api_own_tokens import router as tokens_router
    from avrecords.agency.api_people import router as people_router
    from avrecords.agency.api_roster import router as roster_router
    from avrecords.agency.api_units import router as units_router
    from avrecords.cases.api import router as cases_router
    from avrecords.compliance.api import router as compliance_router
    from avrecords.equipment.api_checks import router as checks_router
    from avrecords.evidence.api import router as evidence_router
    from avrecords.fixity.api import router as fixity_router
    from avrecords.policies.api import router as policies_router
    from avrecords.recordings.api import router as recordings_router
    from avrecords.retention.api import router as retention_router
    from avrecords.stations.api import router as stations_router
    from avrecords.stations.api_agent import router as station_agent_router
    from avrecords.supervision.api_campaigns import router as campaigns_router
    from avrecords.supervision.api_quality import router as quality_router
    from avrecords.supervision.api_violations import router as violations_router

    api.add_router("/", recordings_router)
    api.add_router("/", fixity_router)
    api.add_router("/", policies_router)
    api.add_router("/", compliance_router)
    api.add_router("/devices", checks_router)
    api.add_router("/", access_router)
    api.add_router("/", evidence_router)  # the package download, under /access-requests/
    api.add_router("/", cases_router)
    api.add_router("/", retention_router)
    api.add_router("/", campaigns_router)
    api.add_router("/", quality_router)
    api.add_router("/", violations_router)
    api.add_router("/", units_router)
    api.add_router("/", roster_router)  # before people: /people/import is no person's id
    api.add_router("/", people_router)
    api.add_router("/", tokens_router)
    api.add_router("/", stations_router)
    api.add_router("/station", station_agent_router, auth=StationAuth())  # the agent's own


COMMON_ERRORS = {
    400: "请求内容无法解析",
    401: API_ERROR_MESSAGES[401],
    403: "无权进行此操作（或页面已过期）",
    404: API_ERROR_MESSAGES[404],
    413: API_ERROR_MESSAGES[413],
    415: API_ERROR_MESSAGES[415],
    422: "参数无效",
    429: "登录失败次数过多，已暂时锁定",
    503: API_ERROR_MESSAGES[503],
}


def _common_errors(operation) -> list[int]:
    """The statuses any request to `operation` can meet, whatever the operation does."""
    statuses = [422, 503]
    if operation.auth_callbacks:
        statuses += [401, 403, 429]  # 403: refused, or a session's CSRF check failed
    if "{" in operation.path:
        statuses.append(404)
    if set(operation.methods) - SAFE_METHODS:
        statuses += [400, 413, 415]
    return statuses


def _body_media_types(operation) -> tuple[str, ...]:
    """JSON, and the body types the operation documents: multipart for a File or Form
    parameter or the streamed upload, YAML for a policy."""
    documented = ((operation.openapi_extra or {}).get("requestBody") or {}).get("content") or {}
    types = [JSON_MEDIA_TYPE, *documented]
    if any(m.__ninja_param_source__ in ("file", "form") for m in operation.models):
        types.append(MULTIPART_MEDIA_TYPE)
    return tuple(dict.fromkeys(types))


def _declare_common_errors() -> None:
    """Give every operation its common errors in the OpenAPI document (not at run time: an
    operation's own `response` still decides which status a bare result gets), and to those
    whose body is not JSON a Basic check that accepts its documented type."""
    error_content = {JSON_MEDIA_TYPE: {"schema": Error.model_json_schema()}}
    invalid_content = {JSON_MEDIA_TYPE: {"schema": Invalid.model_json_schema()}}
    # ninja keeps the operations it serves and documents in its bound routers (ninja 1.x).
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                accepted = _body_media_types(operation)
                if accepted != BasicAuth.accepted_media_types:
                    operation.auth_callbacks = [
                        _accepting(cb, accepted) if isinstance(cb, BasicAuth) else cb
                        for cb in operation.auth_callbacks
                    ]
                extra = dict(operation.openapi_extra or {})
                responses = dict(extra.get("responses") or {})
                for status in _common_errors(operation):
                    if status in operation.response_models or status in responses:
                        continue
                    responses[status] = {
                        "description": COMMON_ERRORS[status],
                        "content": invalid_content if status == 422 else error_content,
                    }
                extra["responses"] = responses
                operation.openapi_extra = extra


def _accepting(auth: BasicAuth, media_types: tuple[str, ...]) -> BasicAuth:
    accepting = copy.copy(auth)
    accepting.accepted_media_types = media_types
    return accepting


_register()
_declare_common_errors()
