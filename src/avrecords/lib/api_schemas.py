"""The API's shared building blocks: the error bodies and the page-number parameter.

Every app's `api*.py` declares its answers with these; the root `avrecords.api` imports the
apps' routers and maps refusals to these bodies. They live here, below every app, so an app's
API never imports the root that imports it (issue 16 §5: no circle between the root and the
apps' routers).
"""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import Field

# Far past any list a person pages through; (page - 1) × page size then stays a 64-bit OFFSET
# on SQLite and PostgreSQL, where a larger one was a 500 (issue 15, row 12).
PAGE_NUMBER_MAX = 1_000_000
PageNumber = Annotated[int, Field(le=PAGE_NUMBER_MAX, description="页码，从 1 起")]


class Error(Schema):
    """Every error response: a Chinese message for the user."""

    detail: str


class Invalid(Schema):
    """422: which parameters were wrong (Chinese summary plus pydantic's details)."""

    detail: str
    errors: list[dict]
