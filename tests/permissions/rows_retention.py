"""Retention and legal holds (M5, S1). Objects: a complaint's hold on squad 1's case, gathering
张伟's recording (HOLD); a litigation hold on the seizure whose release 林海 asked for (HELD);
the bureau's disposal list in review with one item (DISPOSAL, ITEM: a bureau recording past its
date); a second list reviewed by the archivist (SUBMITTED); the destruction record of a purged
bureau recording (RECORD); 周敏's request to shorten 杨军's recording (CHANGE). PURGE: 张伟's
recording, asked to be purged (held: refused, 409, the refusal audited)."""

from __future__ import annotations

from tests.permissions.rows_recordings import REC
from tests.permissions.rules import (
    BUREAU_SCOPE,
    EVERYONE,
    OFFICERS,
    POLICY_MANAGERS,
    RECORDING_SCOPE,
    UNIT_SCOPE,
    Endpoint,
    Target,
    api_post,
    post,
)


def _target(name: str, seen_by, audited_as: str, world_id) -> Target:
    return Target(name, seen_by=seen_by, audited_as=audited_as, audited_id=world_id)


HOLD = _target("hold", UNIT_SCOPE["squad1"], "retention.legalhold", lambda w: w.hold)
HELD = _target("held", UNIT_SCOPE["squad1"], "retention.legalhold", lambda w: w.held)
PURGE = Target("purge_recording", seen_by=RECORDING_SCOPE["squad1"])
# A list is the agency's (the bureau's); so was the purged recording.
DISPOSAL = _target("disposal", BUREAU_SCOPE, "retention.disposallist", lambda w: w.disposal)
SUBMITTED = _target(
    "submitted_disposal", BUREAU_SCOPE, "retention.disposallist", lambda w: w.submitted
)
ITEM = _target("disposal_item", BUREAU_SCOPE, "recordings.recording", lambda w: w.due)
RECORD = _target(
    "destruction_record", BUREAU_SCOPE, "retention.destructionrecord", lambda w: w.record
)
CHANGE = _target(
    "retention_change",
    UNIT_SCOPE["squad2"],
    "recordings.recording",
    lambda w: w.recording["squad2"],
)
RETENTION_READERS = EVERYONE - OFFICERS  # unit roles, supervisors, archivists; sysadmin
HOLD_PLACERS = RETENTION_READERS - POLICY_MANAGERS  # the unit roles within their scope
# tongbai's retention: reviewed_by 档案管理员, approved_by 分管领导 (only a role the profile
# names decides, never a system administrator, never the one who asked).
RETENTION_REVIEWERS = frozenset(["archivist"])
RETENTION_APPROVERS = frozenset(["leader"])

ROWS = [
    Endpoint("page-retention", "/retention/", RETENTION_READERS),
    Endpoint("page-holds", "/retention/holds/", RETENTION_READERS),
    Endpoint("page-hold-new", "/retention/holds/new", HOLD_PLACERS),
    Endpoint("page-hold", "/retention/holds/{hold}/", RETENTION_READERS, HOLD),
    post(
        "page-hold-release",
        "/retention/holds/{hold}/release",
        HOLD_PLACERS,
        HOLD,
        audit="retention.hold_release_request",
        body=lambda w: {"reason": "投诉已办结"},
    ),
    post(
        "page-hold-approve",
        "/retention/holds/{held}/approve",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release",
    ),
    post(
        "page-hold-reject",
        "/retention/holds/{held}/reject",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release_reject",
        body=lambda w: {"comment": "诉讼尚未终结"},
    ),
    Endpoint("page-disposals", "/retention/disposals/", RETENTION_READERS),
    Endpoint("page-disposal", "/retention/disposals/{disposal}/", RETENTION_READERS, DISPOSAL),
    Endpoint(
        "page-disposal-progress",
        "/retention/disposals/{disposal}/progress",
        RETENTION_READERS,
        DISPOSAL,
    ),
    post(
        "page-disposal-item",
        "/retention/disposals/{disposal}/items/{item}",
        RETENTION_REVIEWERS,
        ITEM,
        audit="retention.review",
        body=lambda w: {"decision": "keep", "fact": "valuable", "reason": "典型案例"},
    ),
    post(
        "page-disposal-submit",
        "/retention/disposals/{disposal}/submit",
        RETENTION_REVIEWERS,
        DISPOSAL,
        audit="retention.disposal_submit",
    ),
    post(
        "page-disposal-decide",
        "/retention/disposals/{submitted}/decide",
        RETENTION_APPROVERS,
        SUBMITTED,
        audit="retention.disposal_approve",
        body=lambda w: {"decision": "approve", "comment": "同意清除"},
    ),
    Endpoint("page-records", "/retention/records/", RETENTION_READERS),
    Endpoint(
        "page-record-pdf",
        "/retention/records/{record}.pdf",
        RETENTION_READERS,
        RECORD,
        "retention.record_print",
    ),
    Endpoint(
        "page-record-export",
        "/retention/records/export.pdf?q=QC",
        RETENTION_READERS,
        audit="retention.record_print",
    ),
    post(
        "page-retention-fact",
        "/retention/recordings/{rec}/fact",
        HOLD_PLACERS,
        REC,
        audit="retention.fact",
        body=lambda w: {"fact": "mass_incident", "note": "现场围观群众较多"},
    ),
    post(
        "page-retention-shorten",
        "/retention/recordings/{rec}/shorten",
        HOLD_PLACERS,
        REC,
        audit="retention.change_request",
        body=lambda w: {"reason": "案件已撤销"},
    ),
    post(
        "page-change-decide",
        "/retention/changes/{change}/decide",
        RETENTION_APPROVERS,
        CHANGE,
        audit="retention.change_approve",
        body=lambda w: {"decision": "approve", "comment": "同意"},
    ),
    # Anyone who sees a recording sees its retention, as on its page.
    Endpoint("api-retention", "/api/v1/retention/recordings/{rec}", EVERYONE, REC),
    api_post(
        "api-retention-purge",
        "/api/v1/retention/recordings/{rec}/purge",
        RETENTION_APPROVERS,
        PURGE,
        audit="retention.purge_refused",
        ok=409,
    ),
    Endpoint("api-holds", "/api/v1/holds", RETENTION_READERS),
    # Permission first: the permitted get as far as the case, which nobody has: 422.
    api_post(
        "api-hold-create",
        "/api/v1/holds",
        HOLD_PLACERS,
        ok=422,
        body=lambda w: {"kind": "complaint", "reason": "当事人投诉", "case": 999_999},
    ),
    Endpoint("api-hold", "/api/v1/holds/{hold}", RETENTION_READERS, HOLD),
    api_post(
        "api-hold-release",
        "/api/v1/holds/{hold}/release",
        HOLD_PLACERS,
        HOLD,
        audit="retention.hold_release_request",
        body=lambda w: {"reason": "投诉已办结"},
    ),
    api_post(
        "api-hold-approve",
        "/api/v1/holds/{held}/release/approve",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release",
    ),
    api_post(
        "api-hold-reject",
        "/api/v1/holds/{held}/release/reject",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release_reject",
        body=lambda w: {"comment": "诉讼尚未终结"},
    ),
    Endpoint("api-disposals", "/api/v1/disposals", RETENTION_READERS),
    Endpoint("api-disposal", "/api/v1/disposals/{disposal}", RETENTION_READERS, DISPOSAL),
    # The list is still in review: refused (409), and the refusal audited.
    api_post(
        "api-disposal-purge",
        "/api/v1/disposals/{disposal}/purge",
        RETENTION_APPROVERS,
        DISPOSAL,
        audit="retention.purge_refused",
        ok=409,
    ),
    Endpoint("api-destruction-records", "/api/v1/destruction-records", RETENTION_READERS),
]
