"""Viewing, copying and export requests (M3, M8) and the registers (M10). Objects: 张伟's
requests for his recording — a copy request pending with the unit head 陈刚 (REQ), one approved
and waiting for an administrator (APPROVED), an evidence export carried out, its package not
built yet (EXPORT); ASK: a new request naming the recording. All are seen as his recording is."""

from __future__ import annotations

from tests.permissions.rows_recordings import REC
from tests.permissions.rules import (
    EVERYONE,
    HEADS,
    OFFICERS,
    POLICY_MANAGERS,
    RECORDING_SCOPE,
    Endpoint,
    Target,
    api_post,
    post,
)


def _request(name: str, world_id) -> Target:
    return Target(
        name,
        seen_by=RECORDING_SCOPE["squad1"],
        audited_as="access.accessrequest",
        audited_id=world_id,
    )


REQ = _request("request", lambda w: w.request)
APPROVED = _request("approved", lambda w: w.approved)
EXPORT = _request("export", lambda w: w.export)
ASK = _request("ask", None)
REDACTED = _request("redacted", lambda w: w.redacted_request)
REGISTER_READERS = EVERYONE - OFFICERS  # unit roles their units, sysadmin all
APPROVERS = frozenset(["head1"])  # tongbai: 单位负责人 (only a role the chain names passes)
EXECUTORS = frozenset(["admin", "other_admin", "bureau_admin"])  # tongbai: 管理员办理
REQUESTER = frozenset(["officer"])  # withdraw, download the package
REVOKERS = POLICY_MANAGERS | HEADS | {"leader", "officer"}  # and the approver, the requester
REVOKE = {"reason": "案件已办结，不再需要"}

ROWS = [
    Endpoint("page-access", "/access/", EVERYONE),
    Endpoint("page-access-new", "/access/new?kind=view&recording={rec}", EVERYONE, REC),
    Endpoint("page-access-request", "/access/{req}/", EVERYONE, REQ),
    post(
        "page-access-approve",
        "/access/{req}/approve",
        APPROVERS,
        REQ,
        audit="access.approve",
        body=lambda w: {"decision": "approve", "comment": "同意"},
    ),
    post(
        "page-access-execute",
        "/access/{approved}/execute",
        EXECUTORS,
        APPROVED,
        audit="access.execute",
    ),
    post("page-access-withdraw", "/access/{req}/withdraw", REQUESTER, REQ, audit="access.withdraw"),
    post(
        "page-access-revoke",
        "/access/{export}/revoke",
        REVOKERS,
        EXPORT,
        audit="access.revoke",
        body=lambda w: REVOKE,
    ),
    # The requester gets as far as the copy's file, which is not on this test's disk (409).
    Endpoint(
        "page-access-redacted-download",
        "/access/{redacted_req}/redacted/{redacted_copy}",
        REQUESTER,
        REDACTED,
        ok=409,
    ),
    Endpoint("page-registers", "/registers/", REGISTER_READERS, ok=302),
    Endpoint("page-register-view", "/registers/view/", REGISTER_READERS),
    Endpoint("page-register-copy", "/registers/copy/", REGISTER_READERS),
    Endpoint(
        "page-register-export",
        "/registers/view/export?format=xlsx",
        REGISTER_READERS,
        audit="register.export",
    ),
    Endpoint("api-access-requests", "/api/v1/access-requests", EVERYONE),
    api_post(
        "api-access-request-create",
        "/api/v1/access-requests",
        EVERYONE,
        ASK,
        audit="access.request",
        ok=201,
        body=lambda w: {
            "kind": "view",
            "reason": "执法监督需要查阅",
            "days": 3,
            "recording_ids": [w.recording["squad1"]],
        },
    ),
    Endpoint("api-access-request", "/api/v1/access-requests/{req}", EVERYONE, REQ),
    api_post(
        "api-access-approve",
        "/api/v1/access-requests/{req}/approve",
        APPROVERS,
        REQ,
        audit="access.approve",
        body=lambda w: {"comment": "同意"},
    ),
    api_post(
        "api-access-reject",
        "/api/v1/access-requests/{req}/reject",
        APPROVERS,
        REQ,
        audit="access.reject",
        body=lambda w: {"comment": "事由不充分"},
    ),
    api_post(
        "api-access-execute",
        "/api/v1/access-requests/{approved}/execute",
        EXECUTORS,
        APPROVED,
        audit="access.execute",
    ),
    api_post(
        "api-access-revoke",
        "/api/v1/access-requests/{export}/revoke",
        REVOKERS,
        EXPORT,
        audit="access.revoke",
        body=lambda w: REVOKE,
    ),
    # The requester gets as far as the package: not built yet, refused (400).
    Endpoint(
        "api-access-package",
        "/api/v1/access-requests/{export}/package/bag",
        REQUESTER,
        EXPORT,
        ok=400,
    ),
]
