"""schemathesis hooks for tests/test_api_schema.py (loaded through SCHEMATHESIS_HOOKS).

A Basic-authenticated request that changes something must say its body is JSON, even when
it has none (issue 15, row 14): a station script sends `Content-Type: application/json` on a
bodiless POST, and so do these runs, or every such operation would only ever answer 415.
"""

import schemathesis
from schemathesis.core import NOT_SET

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() not in SAFE_METHODS and case.body is NOT_SET:
        if case.headers is None:
            case.headers = {}
        case.headers.setdefault("Content-Type", "application/json")
