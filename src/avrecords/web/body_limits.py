"""Small request bodies everywhere except the recording upload (issue 15, row 9).

Only `POST /api/v1/recordings/uploads` (and the upload page's form without JavaScript,
`POST /upload/`) takes large bodies (up to AVRECORDS_UPLOAD_MAX_BYTES);
every other path is limited to AVRECORDS_REQUEST_MAX_BYTES (forms, JSON, the small xlsx and
YAML imports). The limit is enforced twice, before any body is read:

- in `avrecords serve`: waitress reads the whole body before the application sees it, so its
  parser is given the limit of the path as soon as the request line is parsed. A declared
  Content-Length over it is answered 413 at once, without reading the body; a chunked body
  is cut off with 413 when it grows past it;
- in the application (`BodyLimitMiddleware`, first in MIDDLEWARE) for any other WSGI server:
  a Content-Length over the limit is answered 413 before anything reads the body. A body
  without Content-Length is never read by Django at all.
"""

from __future__ import annotations

import copy
import json
import threading
import weakref

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.utilities import RequestEntityTooLarge

from avrecords.recordings import uploads
from avrecords.recordings.resumable import RESUMABLE_PATH
from avrecords.recordings.uploads import MULTIPART_OVERHEAD_BYTES, UPLOAD_PATH, UPLOAD_PATHS

API_PREFIX = "/api/"
# A part of a resumable upload (issue 19 §3, its throughput): waitress reads every body
# before the application sees it, by default into a temporary file once past 512 KiB in
# 8 KiB reads - a fourth write and read of every byte. A part up to IN_MEMORY_PART_BYTES
# (the largest part any client is told to send, 32 MiB, and a margin) is kept in memory
# instead, and sockets are read 256 KiB at a time. All the parts held in memory at once
# are bounded by IN_MEMORY_BUDGET_BYTES; a part beyond that waits in a temporary file as
# before (slower, never refused).
IN_MEMORY_PART_BYTES = 33 * 1024**2
IN_MEMORY_BUDGET_BYTES = 256 * 1024**2
RECV_BYTES = 256 * 1024


def body_limit_bytes(path: str) -> int:
    """The largest body accepted on this path."""
    if path in UPLOAD_PATHS:
        return settings.AVRECORDS_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    if path.startswith(RESUMABLE_PATH):  # a part of a resumable upload (issue 19 §3)
        return settings.AVRECORDS_UPLOAD_MAX_BYTES
    return settings.AVRECORDS_REQUEST_MAX_BYTES


def largest_body_bytes() -> int:
    return max(body_limit_bytes(UPLOAD_PATH), settings.AVRECORDS_REQUEST_MAX_BYTES)


def too_large_message(path: str, limit_bytes: int) -> str:
    if path in UPLOAD_PATHS:
        return uploads.too_large_message()  # the upload's own, naming `avrecords ingest`
    if limit_bytes >= 1024**2:
        size = f"{limit_bytes / 1024**2:.0f} MB"
    else:
        size = f"{max(1, limit_bytes // 1024)} KB"
    return f"请求内容过大（超过 {size}），已拒绝"


class BodyLimitMiddleware:
    """Answers 413 to a declared body over the path's limit, before anything reads it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot size
        limit = body_limit_bytes(request.path)
        if length > limit:
            return too_large_response(request.path, limit)
        return self.get_response(request)


def too_large_response(path: str, limit_bytes: int) -> HttpResponse:
    message = too_large_message(path, limit_bytes)
    if path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": message}, status=413, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"
    return response


# --- waitress (`avrecords serve`) -----------------------------------------------------------


class BodyTooLarge(RequestEntityTooLarge):
    """waitress's 413, in Chinese (JSON under /api/ like every API error)."""

    def __init__(self, path: str, limit_bytes: int) -> None:
        super().__init__(too_large_message(path, limit_bytes))
        self.api = path.startswith(API_PREFIX)

    def to_response(self, ident=None):
        status = f"{self.code} {self.reason}"
        if self.api:
            body = json.dumps({"detail": self.body}, ensure_ascii=False).encode()
            return status, [("Content-Type", "application/json; charset=utf-8")], body
        return status, [("Content-Type", "text/plain; charset=utf-8")], self.body.encode()


class _MemoryBudget:
    """Bytes of request bodies held in memory now, across all connections."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            if self.held + n > self.limit:
                return False
            self.held += n
            return True

    def give_back(self, n: int) -> None:
        with self._lock:
            self.held -= n


_memory_budget = _MemoryBudget(IN_MEMORY_BUDGET_BYTES)


class BodyLimitParser(HTTPRequestParser):
    """Applies the limit of the request's path once its request line is known."""

    limit_bytes: int | None = None

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        self.limit_bytes = body_limit_bytes(self.path)
        # waitress refuses a body of max_request_body_size bytes or more, we one over the limit.
        if self.adj.max_request_body_size != self.limit_bytes + 1:
            self.adj = copy.copy(self.adj)
            self.adj.max_request_body_size = self.limit_bytes + 1
        self._keep_part_in_memory()

    def _keep_part_in_memory(self) -> None:
        """A resumable upload's part of a declared length within IN_MEMORY_PART_BYTES is
        held in memory, while the budget of all such parts allows."""
        length = self.content_length
        receiver = self.body_rcv
        if (
            receiver is None
            or self.chunked
            or not self.path.startswith(RESUMABLE_PATH)
            or not 0 < length <= min(IN_MEMORY_PART_BYTES, self.limit_bytes)
            or not _memory_budget.take(length)
        ):
            return
        receiver.buf.overflow = length + 1  # never spilled: at most `length` bytes are kept
        weakref.finalize(self, _memory_budget.give_back, length)

    def received(self, data):
        consumed = super().received(data)
        if type(self.error) is RequestEntityTooLarge and self.limit_bytes is not None:
            self.error = BodyTooLarge(self.path, self.limit_bytes)
        return consumed


class BodyLimitChannel(HTTPChannel):
    parser_class = BodyLimitParser


def make_server(application, **adjustments):
    """A waitress server whose connections apply the body limits above."""
    socket_map: dict = {}
    adjustments.setdefault("max_request_body_size", largest_body_bytes() + 1)
    adjustments.setdefault("recv_bytes", RECV_BYTES)
    server = create_server(application, map=socket_map, **adjustments)
    for dispatcher in {server, *socket_map.values()}:
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = BodyLimitChannel
    return server
