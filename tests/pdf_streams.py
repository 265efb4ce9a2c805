"""A PDF's bytes with every Flate stream decompressed, for tests that read what a PDF shows."""

from __future__ import annotations

import re
import zlib


def decoded(content: bytes) -> bytes:
    """`content` followed by each of its streams decompressed (those that are not Flate are
    skipped). A stream's data ends at the line break before `endstream`, CR LF or LF; the CR
    is not cut off, because compressed data may itself end in a CR byte (a stream then failed
    to decompress, and a font descriptor inside it went unseen, about once in 256 PDFs): zlib
    stops at the end of its own data and leaves a trailing CR unused."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)\nendstream", content, re.S):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts)
