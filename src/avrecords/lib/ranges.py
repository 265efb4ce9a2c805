"""HTTP range requests (RFC 9110 §14) for seeking in video and audio players."""

from __future__ import annotations

import re

from django.http import HttpResponse, StreamingHttpResponse

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
STREAM_CHUNK_BYTES = 256 * 1024


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end) inclusive for a single satisfiable range, None for no range, 'invalid' otherwise."""
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None  # unsupported forms (multi-range) fall back to the whole body
    if match[1]:
        start = int(match[1])
        end = int(match[2]) if match[2] else size - 1
    else:
        length = int(match[2])
        if length == 0:
            return "invalid"
        start, end = max(size - length, 0), size - 1
    if start >= size or start > end:
        return "invalid"
    return start, min(end, size - 1)


def _iter(fh, start: int, end: int):
    try:
        fh.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            data = fh.read(min(STREAM_CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        fh.close()


def ranged_response(
    opener,
    size: int,
    content_type: str,
    range_header: str | None,
    *,
    filename: str = "",
    attachment: bool = False,
):
    """Stream a file (opened lazily by opener()) honouring a Range header; never loads it whole."""
    parsed = parse_range(range_header, size)
    if parsed == "invalid":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = parsed if parsed else (0, size - 1)
    response = StreamingHttpResponse(
        _iter(opener(), start, end) if size else iter(()), content_type=content_type
    )
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(end - start + 1 if size else 0)
    response["Cache-Control"] = "private, no-store"
    if parsed:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if filename:
        from urllib.parse import quote

        disposition = "attachment" if attachment else "inline"
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response
