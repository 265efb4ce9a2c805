"""Uploads through the web page or the API, streamed to disk and then ingested (M1, X4).

The multipart body is parsed by a strict parser that records unsafe file names (path
parts, "..", bad UTF-8) instead of silently rewriting them, and a handler that streams
each file to a temporary file and stops at the configured size limit. Nothing is kept
in memory; nothing half-uploaded is ever recorded.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParser

from avrecords.lib.refusals import Refusal
from avrecords.recordings.ingest import BatchSummary, IngestAborted, Ingestor
from avrecords.recordings.models import IngestSource
from avrecords.recordings.naming import UnsafeNameError, check_upload_name

log = logging.getLogger(__name__)
UPLOAD_PATH = "/api/v1/recordings/uploads"
# The upload page's form without JavaScript posts the same multipart body (issue 19 §3).
PAGE_UPLOAD_PATH = "/upload/"
UPLOAD_PATHS = frozenset({UPLOAD_PATH, PAGE_UPLOAD_PATH})
# Multipart framing around the files; generous so a body at the limit is not refused early.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass
class UploadedTemp:
    """One file of the request, written to a temporary path."""

    name: str
    path: Path
    size_bytes: int = 0


@dataclass
class UploadState:
    """What the parser and handler learned about the request body."""

    files: list[UploadedTemp] = field(default_factory=list)
    name_errors: list[str] = field(default_factory=list)
    too_large: bool = False

    def discard(self) -> None:
        for item in self.files:
            item.path.unlink(missing_ok=True)


class StreamingUploadHandler(FileUploadHandler):
    """Writes each file part to AVRECORDS_HOME/tmp as it arrives; enforces the size limit."""

    def __init__(self, request, state: UploadState) -> None:
        super().__init__(request)
        self.state = state
        self._fh = None
        self._current: UploadedTemp | None = None

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        tmp_dir = Path(settings.FILE_UPLOAD_TEMP_DIR)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
        self._fh = os.fdopen(fd, "wb")
        self._current = UploadedTemp(file_name, Path(path))
        self.state.files.append(self._current)

    def receive_data_chunk(self, raw_data, start):
        self._current.size_bytes += len(raw_data)
        if self._current.size_bytes > settings.AVRECORDS_UPLOAD_MAX_BYTES:
            self.state.too_large = True
            self._fh.close()
            raise StopUpload(connection_reset=False)
        self._fh.write(raw_data)
        return None

    def file_complete(self, file_size):
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return None  # the file stays on disk; UploadState knows where

    def upload_interrupted(self):
        if self._fh is not None and not self._fh.closed:
            self._fh.close()


class _PartHeaderCheck:
    """Passes the body through, noting any part whose headers are not UTF-8.

    Django's parser skips a header line it cannot decode, so a file whose name is not
    UTF-8 would silently vanish from the upload while the other files were imported.
    """

    def __init__(self, stream, boundary: bytes, state: UploadState) -> None:
        self._stream = stream
        self._delimiter = b"\r\n--" + boundary
        self._pending = b"\r\n"  # the first delimiter has no line break before it
        self.state = state

    def read(self, size=-1):
        data = self._stream.read(size)
        self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        buf = self._pending + data
        pos = 0
        while (start := buf.find(self._delimiter, pos)) != -1:
            end = buf.find(b"\r\n\r\n", start + len(self._delimiter))
            if end == -1:  # the headers continue in the next read
                self._pending = buf[start:][: 64 * 1024]
                return
            try:
                buf[start + len(self._delimiter) : end].decode("utf-8")
            except UnicodeDecodeError:
                self.state.name_errors.append("文件名不是有效的 UTF-8 编码")
            pos = end + 4
        self._pending = buf[max(pos, len(buf) - len(self._delimiter) + 1) :]


class StrictMultiPartParser(MultiPartParser):
    """Records names Django would silently rewrite, so the upload can be refused with a reason."""

    def __init__(self, *args, state: UploadState, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = state
        self._input_data = _PartHeaderCheck(self._input_data, self._boundary, state)

    def sanitize_file_name(self, file_name):
        try:
            return check_upload_name(file_name)
        except UnsafeNameError as exc:
            self.state.name_errors.append(f"{exc}：{file_name!r}")
            return "rejected"


class UploadStreamingMiddleware:
    """Installs the strict parser for the upload endpoint before anything reads request.POST."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in UPLOAD_PATHS:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.AVRECORDS_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
                return JsonResponse({"detail": too_large_message()}, status=413)
            state = UploadState()
            request.upload_state = state
            request.upload_handlers = [StreamingUploadHandler(request, state)]

            def parse_file_upload(meta, post_data):
                parser = StrictMultiPartParser(
                    meta, post_data, request.upload_handlers, request.encoding, state=state
                )
                return parser.parse()

            request.parse_file_upload = parse_file_upload
            try:
                return self.get_response(request)
            finally:
                state.discard()
        return self.get_response(request)


def too_large_message() -> str:
    limit_mb = settings.AVRECORDS_UPLOAD_MAX_BYTES / 1024 / 1024
    return f"文件超过上传大小上限（{limit_mb:.0f} MB），请在采集站使用 avrecords ingest 导入"


class UploadRejected(Refusal):
    """The request cannot be imported; the message is for the user (Chinese). Its status is
    the upload's own: 400 for a request that is not a usable upload (the API always said so),
    413 too large, or the store's answer when the import stopped (503, 507)."""

    def __init__(self, message: str, status: int = Refusal.status) -> None:
        super().__init__(message)
        self.status = status


def ingest_upload(request) -> BatchSummary:
    """Import every file of an upload request as one batch, or refuse it whole."""
    state: UploadState | None = getattr(request, "upload_state", None)
    if state is None or request.content_type != "multipart/form-data":
        raise UploadRejected("请以 multipart/form-data 方式上传文件")
    request.POST  # noqa: B018  (parses the body through the strict parser)
    if state.too_large:
        raise UploadRejected(too_large_message(), status=413)
    if state.name_errors:
        raise UploadRejected("文件名不合法：" + "；".join(state.name_errors))
    if not state.files:
        raise UploadRejected("没有收到文件")
    ingestor = Ingestor(
        source=IngestSource.UPLOAD, operator=request.user, source_path="网页/接口上传"
    )
    try:
        for item in state.files:
            # The request's own fsynced temporary file: adopted by the store where it can.
            ingestor.ingest_file(item.path, item.name, display_name=item.name, own_file=True)
    except IngestAborted as exc:
        ingestor.finish(error=str(exc))
        raise UploadRejected(str(exc), status=exc.http_status) from exc
    return ingestor.finish()
