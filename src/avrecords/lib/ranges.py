"""HTTP range requests (RFC 9110 §14) for seeking in video and audio players.

One range of bytes is served; anything else a Range header may say (several ranges, another
unit, a malformed or unsatisfiable range) is refused with 416 and `Content-Range: bytes */size`
rather than ignored: an ignored Range would send the whole file in answer to a request that
the caller (and the audit) took for a small part of it (issue 15, row 4).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

# The unit is case-insensitive (RFC 9110 §14.1); spaces around the numbers are tolerated.
RANGE_RE = re.compile(r"^bytes\s*=\s*(\d*)\s*-\s*(\d*)$", re.IGNORECASE)
STREAM_CHUNK_BYTES = 256 * 1024
# More digits than any file size has: read as "beyond the end" without converting the whole
# string (Python refuses to convert more than 4,300 digits, and nobody needs more than 19).
MAX_POSITION_DIGITS = 19
BEYOND_ANY_FILE_BYTES = 10**MAX_POSITION_DIGITS


class Unsatisfiable:
    """A Range header that is present but names no single satisfiable range of bytes."""

    def __repr__(self) -> str:
        return "UNSATISFIABLE"


UNSATISFIABLE = Unsatisfiable()
Span = tuple[int, int]  # first and last byte, inclusive


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= MAX_POSITION_DIGITS else BEYOND_ANY_FILE_BYTES


def parse_range(header: str | None, size: int) -> Span | None | Unsatisfiable:
    """(start, end) inclusive for one satisfiable range of bytes; None without a Range header;
    UNSATISFIABLE for anything else (several ranges, another unit, malformed, out of range)."""
    if header is None or not header.strip():
        return None
    match = RANGE_RE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return UNSATISFIABLE
    if match[1]:
        start = _position(match[1])
        end = _position(match[2]) if match[2] else size - 1
    else:
        length = _position(match[2])
        if length == 0:
            return UNSATISFIABLE
        start, end = max(size - length, 0), size - 1
    if start >= size or start > end:
        return UNSATISFIABLE
    return start, min(end, size - 1)


def player_start(range_header: str | None) -> bool:
    """Whether a request starts a playback rather than seeks within one: a player asks for
    bytes=0- (or probes with bytes=0-1) when it starts and for other ranges when it seeks, so
    auditing only these gives one entry per playback, not one per seek (M3)."""
    if not range_header:
        return True
    return re.sub(r"\s", "", range_header).lower() in {"bytes=0-", "bytes=0-1"}


def unsatisfiable_response(size: int) -> HttpResponse:
    """416 naming the file's size, as RFC 9110 §15.5.17 asks; no bytes of the file."""
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    response["Cache-Control"] = "private, no-store"
    return response


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
    span: Span | None,
    *,
    filename: str = "",
    attachment: bool = False,
) -> StreamingHttpResponse:
    """Stream a file (opened lazily by opener()): the whole of it (200) or one span of it (206,
    from parse_range); never loads it whole. The caller answers an unsatisfiable range."""
    start, end = span if span else (0, size - 1)
    response = StreamingHttpResponse(
        _iter(opener(), start, end) if size else iter(()), content_type=content_type
    )
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(end - start + 1 if size else 0)
    response["Cache-Control"] = "private, no-store"
    if span:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if filename:
        disposition = "attachment" if attachment else "inline"
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response
