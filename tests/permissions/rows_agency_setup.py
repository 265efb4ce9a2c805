"""First-run setup (issue 18 §4): the checklist and its step 1 are the system administrators';
the first administrator's page is closed once anybody
exists (404 to the signed-in, sign-in for a visitor)."""

from __future__ import annotations

from tests.permissions.rules import Endpoint, Target, post

SETTERS_UP = frozenset(["sysadmin", "superuser"])  # agency.permissions.can_set_up
AGENCY = Target(
    "机构（最上级单位）", audited_as="org.unit", audited_id=lambda w: w.users["leader"].unit_id
)
CLOSED = Target("第一个系统管理员", seen_by=frozenset())


def _rename(world) -> dict:
    """The world's agency renamed, its profile kept: one audited change."""
    return {"name": "某市市场监督管理局（更名）", "code": "", "profile": "tongbai"}


ROWS = [
    Endpoint("page-setup", "/setup/", SETTERS_UP),
    post(
        "page-setup-agency",
        "/setup/agency",
        SETTERS_UP,
        AGENCY,
        audit="agency.unit_rename",
        body=_rename,
    ),
    post("page-setup-later", "/setup/later", SETTERS_UP),
    Endpoint("page-setup-first-admin", "/setup/first-admin/", frozenset(), CLOSED),
]
