"""Supervision: violations and accountability (S4, S5), quality scores and online review (S1,
S2). The register is read by supervisors, unit heads, leaders and system administrators within
their scope; officers, administrators and archivists do not read it (its objects are 404 to
them, its pages 403).

Objects: the supervisor's open entry about 张伟 (VIOL: not recorded), a confirmed violation of
his without a decision (CONFIRMED_VIOL) and a decision pending with the leader on a third
(DECISION: tongbai's 批评教育); NEW_VIOL: the entry an API call makes. The squad-1 seizure
(REVIEW_ACT: its review page; COMPLAINT: a complaint against it places a legal hold, kind 投诉,
gathering its recordings — it has none). A complaint is a hold, placed only by the unit roles
(never a system administrator)."""

from __future__ import annotations

from tests.permissions.rules import (
    HEADS,
    POLICY_MANAGERS,
    RECORDING_SCOPE,
    Endpoint,
    Target,
    api_post,
    post,
)

VIOLATION_SCOPE = frozenset(["supervisor", "head1", "leader", "sysadmin", "superuser"])
VIOLATION = "compliance.violationcandidate"
ACCOUNTABILITY = "supervision.accountability"
VIOL = Target("violation", VIOLATION_SCOPE, audited_as=VIOLATION, audited_id=lambda w: w.violation)
CONFIRMED_VIOL = Target(
    "confirmed_violation", VIOLATION_SCOPE, audited_as=ACCOUNTABILITY, audited_id=None
)
DECISION = Target(
    "decision", VIOLATION_SCOPE, audited_as=ACCOUNTABILITY, audited_id=lambda w: w.decision
)
NEW_VIOL = Target("new", audited_as=VIOLATION, audited_id=None)
REVIEW_ACT = Target(
    "review_activity",
    RECORDING_SCOPE["squad1"],
    audited_as="compliance.activity",
    audited_id=lambda w: w.activity,
)
COMPLAINT = Target(
    "complaint", RECORDING_SCOPE["squad1"], audited_as="retention.legalhold", audited_id=None
)
VIOLATION_READERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
SUPERVISORS = frozenset(["supervisor"])  # enter, confirm, dismiss, propose
LEADERS = frozenset(["leader"])  # approve or reject a decision (never a system administrator)
REVIEWERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
COMPLAINERS = HEADS | {"leader", "supervisor"}
CONFIRM = {"reason": "经查看记录，确未按规定记录"}
DISMISS = {"reason": "设备故障已有书面说明"}
PROPOSE = {"decision": "criticism_education", "reason": "初次违规"}
APPROVE = {"comment": "同意"}
REJECT = {"comment": "情节较重，应通报批评"}

VIOLATIONS = [
    Endpoint("page-violations", "/supervision/violations/", VIOLATION_READERS),
    Endpoint(
        "page-violation-export",
        "/supervision/violations/export.xlsx?status=open",
        VIOLATION_READERS,
        audit="violation.export",
    ),
    Endpoint("page-violation-new", "/supervision/violations/new", SUPERVISORS),
    Endpoint("page-violation", "/supervision/violations/{violation}/", VIOLATION_READERS, VIOL),
    post(
        "page-violation-confirm",
        "/supervision/violations/{violation}/confirm",
        SUPERVISORS,
        VIOL,
        audit="violation.confirm",
        body=lambda w: CONFIRM,
    ),
    post(
        "page-violation-dismiss",
        "/supervision/violations/{violation}/dismiss",
        SUPERVISORS,
        VIOL,
        audit="violation.dismiss",
        body=lambda w: DISMISS,
    ),
    post(
        "page-violation-propose",
        "/supervision/violations/{confirmed_violation}/decisions",
        SUPERVISORS,
        CONFIRMED_VIOL,
        audit="accountability.propose",
        body=lambda w: PROPOSE,
    ),
    Endpoint("page-decisions", "/supervision/decisions/", VIOLATION_READERS),
    post(
        "page-decision-approve",
        "/supervision/decisions/{decision}/approve",
        LEADERS,
        DECISION,
        audit="accountability.approve",
        body=lambda w: APPROVE,
    ),
    post(
        "page-decision-reject",
        "/supervision/decisions/{decision}/reject",
        LEADERS,
        DECISION,
        audit="accountability.reject",
        body=lambda w: REJECT,
    ),
    Endpoint("api-violations", "/api/v1/violations", VIOLATION_READERS),
    api_post(
        "api-violation-create",
        "/api/v1/violations",
        SUPERVISORS,
        NEW_VIOL,
        audit="violation.report",
        ok=201,
        body=lambda w: {
            "kind": "not_recorded",
            "unit": "T350200-01",
            "person": w.person,
            "summary": "查封现场未开启执法记录仪",
        },
    ),
    Endpoint("api-violation", "/api/v1/violations/{violation}", VIOLATION_READERS, VIOL),
    api_post(
        "api-violation-confirm",
        "/api/v1/violations/{violation}/confirm",
        SUPERVISORS,
        VIOL,
        audit="violation.confirm",
        body=lambda w: CONFIRM,
    ),
    api_post(
        "api-violation-dismiss",
        "/api/v1/violations/{violation}/dismiss",
        SUPERVISORS,
        VIOL,
        audit="violation.dismiss",
        body=lambda w: DISMISS,
    ),
    api_post(
        "api-violation-propose",
        "/api/v1/violations/{confirmed_violation}/decisions",
        SUPERVISORS,
        CONFIRMED_VIOL,
        audit="accountability.propose",
        ok=201,
        body=lambda w: PROPOSE,
    ),
    api_post(
        "api-decision-approve",
        "/api/v1/decisions/{decision}/approve",
        LEADERS,
        DECISION,
        audit="accountability.approve",
        body=lambda w: APPROVE,
    ),
    api_post(
        "api-decision-reject",
        "/api/v1/decisions/{decision}/reject",
        LEADERS,
        DECISION,
        audit="accountability.reject",
        body=lambda w: REJECT,
    ),
]

QUALITY_REVIEW = [
    Endpoint("page-supervision", "/supervision/", REVIEWERS),
    Endpoint(
        "page-supervision-report-xlsx",
        "/supervision/report.xlsx",
        REVIEWERS,
        audit="supervision.report_export",
    ),
    Endpoint(
        "page-supervision-report-pdf",
        "/supervision/report.pdf",
        REVIEWERS,
        audit="supervision.report_export",
    ),
    Endpoint("page-review-list", "/supervision/review/", REVIEWERS),
    Endpoint(
        "page-review",
        "/supervision/review/{act}/",
        REVIEWERS,
        REVIEW_ACT,
        "supervision.review_view",
    ),
    post(
        "page-review-complaint",
        "/supervision/review/{act}/complaint",
        COMPLAINERS,
        COMPLAINT,
        audit="retention.hold",
        body=lambda w: {"reason": "当事人投诉查封现场执法态度", "reference": "投诉〔2026〕9号"},
    ),
    Endpoint("api-supervision-quality", "/api/v1/supervision/quality?by=officer", REVIEWERS),
    Endpoint("api-review-activities", "/api/v1/supervision/review/activities", REVIEWERS),
]

ROWS = VIOLATIONS + QUALITY_REVIEW
