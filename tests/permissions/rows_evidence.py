"""Evidence packages and preservation discs (M6, M7): the package of 张伟's carried-out export
(PKG, not built yet) and the first disc of his carried-out preservation request (DISC: its
audit entry names the request), seen as his recording is."""

from __future__ import annotations

from tests.permissions.rows_access import REQUESTER
from tests.permissions.rules import (
    EVERYONE,
    POLICY_MANAGERS,
    RECORDING_SCOPE,
    Endpoint,
    Target,
    post,
)

PKG = Target("package", seen_by=RECORDING_SCOPE["squad1"])
DISC = Target(
    "disc",
    seen_by=RECORDING_SCOPE["squad1"],
    audited_as="access.accessrequest",
    audited_id=lambda w: w.preserve,
)
DISC_KEEPERS = POLICY_MANAGERS | {"archivist"}  # 档案管理部门 (000§20)

ROWS = [
    Endpoint("page-package-status", "/evidence/{pkg}/status", EVERYONE, PKG),
    # The requester gets as far as the package: not built yet, refused with a message (302).
    Endpoint("page-package-download", "/evidence/{pkg}/download/bag", REQUESTER, PKG, ok=302),
    post(
        "page-disc",
        "/evidence/discs/{disc}",
        DISC_KEEPERS,
        DISC,
        audit="evidence.disc",
        body=lambda w: {"location": "档案室 3 号柜"},
    ),
    Endpoint("page-disc-label", "/evidence/discs/{disc}/label.pdf", EVERYONE, DISC),
]
