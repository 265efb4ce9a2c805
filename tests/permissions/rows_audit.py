"""The audit chain's signed anchors (X1): system administrators keep the signing key,
supervisors check the records' integrity. They see the public key and the anchors, print them
and take them for a disc (each export audited, naming no object)."""

from __future__ import annotations

from tests.permissions.rules import POLICY_MANAGERS, Endpoint

ANCHOR_READERS = POLICY_MANAGERS | {"supervisor"}

ROWS = [
    Endpoint("page-audit-anchors", "/audit/anchors/", ANCHOR_READERS),
    Endpoint(
        "page-audit-anchors-pdf",
        "/audit/anchors/anchors.pdf",
        ANCHOR_READERS,
        audit="audit.anchor_export",
    ),
    Endpoint(
        "page-audit-anchors-zip",
        "/audit/anchors/anchors.zip",
        ANCHOR_READERS,
        audit="audit.anchor_export",
    ),
]
