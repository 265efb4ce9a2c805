"""角色与权限 (issue 18 §5): read-only pages for system administrators; nothing is audited."""

from __future__ import annotations

from tests.permissions.rules import Endpoint

# who may set the agency up (agency.permissions.can_set_up): system administrators
SET_UP = frozenset(["sysadmin", "superuser"])

ROWS = [
    Endpoint("page-agency-roles", "/agency/roles/", SET_UP),
    Endpoint(
        "page-agency-roles-check",
        "/agency/roles/check?person={person}&role=unit_head",
        SET_UP,
    ),
]
