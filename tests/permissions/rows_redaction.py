"""The redaction pages (issue 21 §3; 000§19, 001§25, 003§14, 004§21; M3, M8): a redacted copy of
张伟's recording is asked for, reviewed, rendered again, played and signed off by those who
carry out copies of squad 1 (tongbai: the records administrator over the unit; `redaction.who`),
never by the officer whose recording it is; another squad's people do not see it (404)."""

from __future__ import annotations

from tests.permissions.rules import RECORDING_SCOPE, Endpoint, Target, post

# Who carries out copies of squad 1's recordings (the profile's executor over the unit).
MAY_REDACT = frozenset(["admin", "bureau_admin"])

RECORDING = Target("张伟's recording", seen_by=RECORDING_SCOPE["squad1"])
COPY = Target(
    "a redacted copy in review",
    seen_by=RECORDING_SCOPE["squad1"],
    audited_as="redaction.redaction",
    audited_id=lambda w: w.redaction,
)
READY = Target(
    "a redacted copy rendered, waiting for sign-off",
    seen_by=RECORDING_SCOPE["squad1"],
    audited_as="redaction.redaction",
    audited_id=lambda w: w.redaction_ready,
)


def _ask(world) -> dict:
    return {"targets": ["faces"], "style": "blur", "purpose": "应当事人申请提供"}


ROWS = [
    Endpoint("page-redaction-new", "/recordings/{rec}/redact", MAY_REDACT, RECORDING),
    post(
        "page-redaction-request",
        "/recordings/{rec}/redact",
        MAY_REDACT,
        Target(
            "张伟's recording, asked for a redacted copy",
            seen_by=RECORDING_SCOPE["squad1"],
            audited_as="redaction.redaction",
            audited_id=None,
        ),
        audit="redaction.request",
        body=_ask,
    ),
    Endpoint("page-redaction", "/redactions/{redaction}/", MAY_REDACT, COPY),
    Endpoint("page-redaction-progress", "/redactions/{redaction}/progress", MAY_REDACT, COPY),
    Endpoint("page-redaction-tracks", "/redactions/{redaction}/tracks.json", MAY_REDACT, COPY),
    post(
        "page-redaction-track-hide",
        "/redactions/{redaction}/tracks/{redaction_track}/hide",
        MAY_REDACT,
        COPY,
        audit="redaction.show_track",
        body=lambda w: {"hide": "0"},
    ),
    post(
        "page-redaction-box",
        "/redactions/{redaction}/boxes",
        MAY_REDACT,
        COPY,
        ok=400,  # a box too small: refused in Chinese, nothing stored
        body=lambda w: {"t": "0.5", "x": "0.5", "y": "0.5", "w": "0.001", "h": "0.001"},
    ),
    post(
        "page-redaction-rerender",
        "/redactions/{redaction}/rerender",
        MAY_REDACT,
        COPY,
        audit="redaction.rerender",
    ),
    post(
        "page-redaction-cancel",
        "/redactions/{redaction}/cancel",
        MAY_REDACT,
        COPY,
        audit="redaction.cancel",
    ),
    Endpoint(
        "page-redaction-copy",
        "/redactions/{redaction_ready}/copy",
        MAY_REDACT,
        READY,
        audit="redaction.deliver",
    ),
    post(
        "page-redaction-sign-off",
        "/redactions/{redaction_ready}/sign-off",
        MAY_REDACT,
        READY,
        audit="redaction.sign_off",
    ),
]
