"""`/api/v1/uploads/`: resumable uploads over tus 1.0.0 (issue 19 §3; M1, X4).

Plain Django views speaking the tus protocol (core + creation, checksum with sha256,
termination, expiration); the service is `recordings.resumable`. They sit above
`avrecords.api` so that they authenticate exactly as the API does:

- a collection station's Bearer token (`stations.auth.station_for_token`, the one station
  authentication); a person's Bearer token (`api.BearerAuth`);
- HTTP Basic (`api.BasicAuth`: roles that must use two factors refused, a password an
  administrator set refused). Its body-type rule is not needed here: every tus request but
  OPTIONS carries `Tus-Resumable`, a header no other site's page can send without a CORS
  preflight, which this site never grants;
- the browser's session, with its CSRF check (tus-js-client sends `X-CSRFToken`).

| request | answer |
|---|---|
| `OPTIONS /api/v1/uploads/` | 204: Tus-Version, Tus-Extension, Tus-Checksum-Algorithm, Tus-Max-Size |
| `POST /api/v1/uploads/` (Upload-Length, Upload-Metadata) | 201, `Location` |
| `HEAD /api/v1/uploads/<id>` | 200: Upload-Offset, Upload-Length, Upload-Expires |
| `PATCH /api/v1/uploads/<id>` (Upload-Offset, body) | 204: the new Upload-Offset; after the last byte also Avrecords-Outcome, Avrecords-Sha256, Avrecords-Recording |
| `DELETE /api/v1/uploads/<id>` | 204 |
| `GET /api/v1/uploads/<id>` (`Accept: application/json`) | the state and the ingest's result |

Errors are JSON `{"detail": 中文}` with Tus-Resumable: 400 bad headers or metadata, 401,
403, 404 (not the sender's upload), 409 offset mismatch or a part already arriving, 410
expired or cancelled, 412 another tus version, 413 too large, 415 PATCH body type, 460
part checksum mismatch.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import HttpError

from avrecords.api import BasicAuth, BearerAuth, PasswordRefused, SessionAuth
from avrecords.lib.refusals import Refusal
from avrecords.org import tokens
from avrecords.recordings import resumable
from avrecords.recordings.resumable import (
    CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    Sender,
)
from avrecords.stations.auth import station_for_token
from avrecords.web.middleware import API_ERROR_MESSAGES

log = logging.getLogger(__name__)
PATCH_MEDIA_TYPE = "application/offset+octet-stream"
COLLECTION_METHODS = "OPTIONS, POST"
UPLOAD_METHODS = "OPTIONS, HEAD, PATCH, DELETE, GET"
EXPOSED_HEADERS = (
    "Location, Upload-Offset, Upload-Length, Upload-Expires, Tus-Resumable, Tus-Version, "
    "Tus-Extension, Tus-Max-Size, Avrecords-Outcome, Avrecords-Sha256, Avrecords-Recording"
)


class _TusBasicAuth(BasicAuth):
    """api.BasicAuth without its body-type rule (see the module docstring)."""

    def __call__(self, request):
        return super(BasicAuth, self).__call__(request)


class _Unauthenticated(Exception):
    pass


def _sender(request) -> Sender:
    """Who sends this request: a station, or a person; raises what the API would answer."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() == "bearer":
        token = tokens.find(secret)
        if token is not None and token.user_id is None:
            station = station_for_token(token, ip=request.META.get("REMOTE_ADDR", ""))
            request.station = station
            return Sender(station=station)
        return Sender(user=BearerAuth().authenticate(request, secret))
    for auth in (_TusBasicAuth(), SessionAuth()):
        user = auth(request)
        if user:
            return Sender(user=user)
    raise _Unauthenticated()


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _error(status: int, detail: str, **headers: str) -> HttpResponse:
    response = JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return _tus(response)


def _answering_errors(view):
    """Every refusal, authentication failure and CSRF failure as tus JSON errors."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refusal as exc:
            return _error(exc.status, exc.message)
        except (tokens.TokenRefused, PasswordRefused) as exc:
            return _error(401, str(exc), WWW_Authenticate='Bearer realm="AVRecords"')
        except _Unauthenticated:
            return _error(401, API_ERROR_MESSAGES[401])
        except HttpError as exc:  # the session's CSRF check
            if exc.status_code == 403:
                return _error(403, "无权提交：页面已过期（CSRF 校验失败），请刷新后重试")
            return _error(exc.status_code, str(exc))

    return csrf_exempt(wrapped)


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    response["Tus-Checksum-Algorithm"] = CHECKSUM_ALGORITHMS
    response["Tus-Max-Size"] = str(resumable.max_bytes())
    return _tus(response)


def _require_tus(request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise _VersionRefused()


class _VersionRefused(Refusal):
    status = 412
    default_message = f"不支持的 tus 协议版本：请求头 Tus-Resumable 应为 {TUS_VERSION}"


def _not_allowed(allow: str) -> HttpResponse:
    return _error(405, API_ERROR_MESSAGES.get(405, "不支持该请求方法"), Allow=allow)


@_answering_errors
def upload_collection(request):
    """OPTIONS: what this server speaks; POST: a new upload (creation)."""
    if request.method == "OPTIONS":
        return _options()
    if request.method != "POST":
        return _not_allowed(COLLECTION_METHODS)
    _require_tus(request)
    sender = _sender(request)
    if _body_length(request):
        raise Refusal("创建上传时不接受文件内容，请以 PATCH 发送")
    upload = resumable.create(
        sender,
        request.headers.get("Upload-Length"),
        request.headers.get("Upload-Metadata", ""),
    )
    response = _tus(HttpResponse(status=201))
    response["Location"] = request.build_absolute_uri(f"{resumable.RESUMABLE_PATH}{upload.pk}")
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    log.info("resumable upload %s created: %s bytes", upload.pk, upload.length)
    if upload.state != upload.State.RECEIVING:  # 0 bytes: finished at once, with its result
        return _progress(response, upload)
    return response


@_answering_errors
def upload_detail(request, upload_id):
    """HEAD the offset, PATCH a part, DELETE it, GET its result as JSON."""
    if request.method == "OPTIONS":
        return _options()
    if request.method not in ("HEAD", "PATCH", "DELETE", "GET"):
        return _not_allowed(UPLOAD_METHODS)
    wants_json = request.method == "GET" and "Tus-Resumable" not in request.headers
    if not wants_json:
        _require_tus(request)
    sender = _sender(request)
    upload = resumable.find(sender, upload_id)
    if request.method == "DELETE":
        resumable.terminate(sender, upload)
        return _tus(HttpResponse(status=204))
    if request.method == "PATCH":
        return _patch(request, sender, upload)
    if upload.state in (upload.State.EXPIRED, upload.State.TERMINATED):
        raise resumable.Gone()
    upload = resumable.settle(sender, upload)
    if wants_json:
        return _tus(
            JsonResponse(resumable.result(upload), json_dumps_params={"ensure_ascii": False})
        )
    return _progress(HttpResponse(status=200 if request.method == "HEAD" else 204), upload)


def _patch(request, sender: Sender, upload) -> HttpResponse:
    if request.content_type != PATCH_MEDIA_TYPE:
        return _error(415, f"续传数据的类型（Content-Type）应为 {PATCH_MEDIA_TYPE}")
    length = _body_length(request)
    checksum = resumable.parse_checksum(request.headers.get("Upload-Checksum"))
    upload = resumable.append(
        sender,
        upload,
        offset_header=request.headers.get("Upload-Offset"),
        body=request,
        body_length=length,
        checksum=checksum,
    )
    return _progress(HttpResponse(status=204), upload)


def _body_length(request) -> int:
    text = request.META.get("CONTENT_LENGTH") or "0"
    if not text.isascii() or not text.isdigit():
        raise Refusal("请求内容长度（Content-Length）无效")
    return int(text)


def _progress(response: HttpResponse, upload) -> HttpResponse:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    if upload.state == upload.State.RECEIVING:
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    if upload.outcome:
        response["Avrecords-Outcome"] = upload.outcome
        response["Avrecords-Sha256"] = upload.sha256
        if upload.recording_id:
            response["Avrecords-Recording"] = str(upload.recording_id)
    return _tus(response)


urlpatterns = [
    path("", upload_collection),
    path("<uuid:upload_id>", upload_detail),
]
