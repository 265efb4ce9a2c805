"""The rules of the permission matrix (X2): who holds which permission, which objects are in
whose scope, and one row per endpoint. `tests/test_permissions.py` tries every user on every
row; the equipment ledger's rows (E1–E7) are kept here beside the others' rules."""

from __future__ import annotations

from dataclasses import dataclass

EVERYONE = frozenset(
    [
        "officer",
        "officer2",
        "other_officer",
        "admin",
        "other_admin",
        "bureau_admin",
        "leader",
        "head1",
        "head2",
        "supervisor",
        "archivist",
        "sysadmin",
        "superuser",
    ]
)
ADMINS = frozenset(["admin", "other_admin", "bureau_admin", "sysadmin", "superuser"])
OFFICERS = frozenset(["officer", "officer2", "other_officer"])
HEADS = frozenset(["head1", "head2"])  # unit heads of squad 1 (陈刚) and squad 2 (孙立)
UPLOADERS = ADMINS | OFFICERS
CASE_EDITORS = UPLOADERS  # administrators, and officers on their own recordings (M4)
CASE_INFO = {
    "case_number": "桐市监罚〔2026〕1号",
    "party": "桐城市华兴贸易有限公司",
    "place": "湖滨路8号",
}
FIXITY_VIEWERS = ADMINS | HEADS | {"leader"}  # administrators, unit heads, leaders
POLICY_MANAGERS = frozenset(["sysadmin", "superuser"])
ACTIVITY_RECORDERS = UPLOADERS | HEADS  # officers, administrators, unit heads (U1)
# The profile (tongbai) names the unit head: 陈刚 for squad 1; the bureau leader above him
# may decide what he may, and system administrators may too.
ACKNOWLEDGERS = POLICY_MANAGERS | HEADS | {"leader"}
EXEMPTION_DECIDERS = ACKNOWLEDGERS
# Unit roles see their unit's subtree, system administrators everything.
UNIT_SCOPE = {
    "squad1": frozenset(
        [
            "admin",
            "bureau_admin",
            "leader",
            "head1",
            "supervisor",
            "archivist",
            "sysadmin",
            "superuser",
        ]
    ),
    "squad2": frozenset(
        ["other_admin", "bureau_admin", "leader", "head2", "archivist", "sysadmin", "superuser"]
    ),
}
# …and an officer sees only the recordings that are his own.
RECORDING_SCOPE = {
    "squad1": UNIT_SCOPE["squad1"] | {"officer"},
    "squad2": UNIT_SCOPE["squad2"] | {"other_officer"},
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # {rec} and {batch} are the squad-1 recording and batch
    allowed: frozenset[str]  # who holds the permission it needs
    target: str | None = None  # "recording", "batch" or "alarm" for object URLs
    audit: str | None = None  # the audit action an allowed request records
    method: str = "GET"
    ok: int = 200
    # Who of `allowed` the act is recorded for (None: all); the others get a stand-in.
    audited_for: frozenset[str] | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def audits(self, who: str) -> bool:
        return bool(self.audit) and (self.audited_for is None or who in self.audited_for)

    def __str__(self) -> str:
        return self.name


REC, BATCH, ALARM = "recording", "batch", "alarm"
ACT, FIND, EXEMPT = "activity", "finding", "exemption"  # scoped like the officer's recordings


# --- the equipment ledger (E1–E7) ---------------------------------------------------------
# Objects: the squad-1 camera held by 张伟 (DEV: he and squad 1's unit roles see it), a
# squad-1 spare reported lost (EVT: the unit head above acknowledges), a custody of it with a
# missing charger (CUST), and 王芳's open departure clearance (CLR).
DEV, MDEV, EVT, CUST, CLR = "device", "managed_device", "loss_event", "custody", "clearance"
FLAG, PERSON = "clock_flag", "person"  # a clock flag on the camera; 张伟 himself
SERIAL = "3501001"  # the camera, as a station names it in the API
EQUIPMENT_VIEWERS = ADMINS | HEADS | {"leader", "supervisor"}
CHECKERS = frozenset(["officer", "admin", "bureau_admin", "sysadmin", "superuser"])  # holder
USAGE_READERS = EQUIPMENT_VIEWERS | {"officer"}  # …and the person himself
LOSS_ACKNOWLEDGERS = ACKNOWLEDGERS  # squad 1's unit head, or the leader above him
DEVICE_POST = {
    "issue": {"condition": "完好"},  # no holder chosen: refused with a message, 302
    "return": {"condition": "完好"},
    "event": {"kind": "maintenance", "note": "清洁镜头"},
}


def _post(name, path, allowed, target, **kw):
    return Endpoint(name, path, allowed, target, method="POST", ok=302, **kw)


EQUIPMENT = [
    Endpoint("page-equipment", "/equipment/", EQUIPMENT_VIEWERS),
    Endpoint("page-devices", "/equipment/devices/", EVERYONE),
    Endpoint("page-device", "/equipment/devices/{dev}/", EVERYONE, DEV),
    _post("page-device-issue", "/equipment/devices/{dev}/issue", ADMINS, MDEV),
    _post("page-device-return", "/equipment/devices/{dev}/return", ADMINS, MDEV),
    _post("page-device-event", "/equipment/devices/{dev}/event", ADMINS, MDEV),
    _post("page-custody-accessories", "/equipment/custody/{cust}/accessories", ADMINS, CUST),
    _post("page-loss-acknowledge", "/equipment/events/{evt}/acknowledge", LOSS_ACKNOWLEDGERS, EVT),
    Endpoint("page-staffing", "/equipment/staffing", EQUIPMENT_VIEWERS),
    Endpoint("page-clearances", "/equipment/clearances/", EQUIPMENT_VIEWERS),
    Endpoint("page-clearance-new", "/equipment/clearances/new", ADMINS),
    Endpoint("page-clearance", "/equipment/clearances/{clr}/", EQUIPMENT_VIEWERS, CLR),
    _post("page-clearance-handover", "/equipment/clearances/{clr}/handover", ADMINS, CLR),
    _post("page-clearance-complete", "/equipment/clearances/{clr}/complete", ADMINS, CLR),
    _post("page-clearance-cancel", "/equipment/clearances/{clr}/cancel", ADMINS, CLR),
    Endpoint("page-device-check", "/equipment/devices/{dev}/check", CHECKERS, DEV),
    Endpoint("page-checks", "/equipment/checks", EVERYONE),
    Endpoint("page-clock-flags", "/equipment/clock-flags", EVERYONE),
    _post("page-clock-resolve", "/equipment/clock-flags/{flag}/resolve", ADMINS, FLAG),
    Endpoint("page-device-new", "/equipment/devices/new", ADMINS),
    Endpoint("page-device-edit", "/equipment/devices/{dev}/edit", ADMINS, MDEV),
    Endpoint("page-device-usage", "/equipment/devices/{dev}/usage", USAGE_READERS, DEV),
    Endpoint("page-person-usage", "/equipment/people/{person}/usage", USAGE_READERS, PERSON),
    Endpoint("page-device-import", "/equipment/import", ADMINS),
    Endpoint("page-device-export", "/equipment/export.xlsx", EQUIPMENT_VIEWERS),
    Endpoint("page-my-devices", "/equipment/mine", EVERYONE),
    Endpoint("api-device-checks", f"/api/v1/devices/{SERIAL}/checks", EVERYONE, DEV),
    Endpoint(
        "api-device-check-create",
        f"/api/v1/devices/{SERIAL}/checks",
        CHECKERS,
        DEV,
        method="POST",
        ok=201,
    ),
]
CHECK_BODY = {"works": True, "battery_ok": True, "storage_ok": True, "clock_ok": True}


# --- cases, requests, registers and evidence (issue 6: M3, M6–M10) ------------------------
# Objects: squad 1's open case holding 张伟's recording (CASE) and a closed one waiting to be
# filed (CLOSED); 张伟's requests for his recording — a copy request pending with the unit
# head 陈刚 (REQ), one approved and waiting for an administrator (APPROVED), an evidence
# export carried out (EXPORT, its package PKG, not built yet) and a preservation carried out
# (DISC: the first of its two discs). Live grants on the recording: copies for 林海 (admin)
# and the leader, a view for the supervisor. ASK: a new request naming the recording.
CASE, CLOSED, ASK = "case", "closed_case", "ask"
REQ, APPROVED, EXPORT, PKG, DISC = "request", "approved", "export", "package", "disc"
CASE_MANAGERS = ADMINS | HEADS | {"leader"}  # open, edit, link, close (cases.services)
CASE_FILERS = ADMINS | {"archivist"}  # 归档
REGISTER_READERS = EVERYONE - OFFICERS  # unit roles their units, sysadmin all
APPROVERS = frozenset(["head1"])  # tongbai: 单位负责人 (only a role the chain names passes)
EXECUTORS = frozenset(["admin", "other_admin", "bureau_admin"])  # tongbai: 管理员办理
REQUESTER = frozenset(["officer"])  # withdraw, download the package
REVOKERS = POLICY_MANAGERS | HEADS | {"leader", "officer"}  # and the approver, the requester
DISC_KEEPERS = POLICY_MANAGERS | {"archivist"}  # 档案管理部门 (000§20)
# Playing is free for the recording's own officer; anyone else needs a live view or copy
# grant. Downloading an original needs a live copy grant, whoever asks (M3, M8).
PLAYERS = frozenset(["officer", "admin", "leader", "supervisor"])
COPIERS = frozenset(["admin", "leader"])

# Who sees each object (else 404 before any permission is checked): 张伟's requests and
# case follow his recording; a case without his recordings only the unit roles.
SEEN_BY = {
    **dict.fromkeys(
        (REC, ACT, FIND, EXEMPT, DEV, FLAG, PERSON),
        RECORDING_SCOPE["squad1"],
    ),
    **dict.fromkeys((CASE, ASK, REQ, APPROVED, EXPORT, PKG, DISC), RECORDING_SCOPE["squad1"]),
    CLOSED: UNIT_SCOPE["squad1"],
    EVT: UNIT_SCOPE["squad1"],
}
# …and those looked up only once the permission is held.
SEEN_AFTER_PERMISSION = dict.fromkeys((BATCH, ALARM, MDEV, CUST, CLR), UNIT_SCOPE["squad1"])

ISSUE6 = [
    Endpoint("page-cases", "/cases/", EVERYONE),
    Endpoint("page-case-new", "/cases/new", CASE_MANAGERS),
    Endpoint("page-case", "/cases/{case}/", EVERYONE, CASE, "case.view"),
    Endpoint("page-case-edit", "/cases/{case}/edit", CASE_MANAGERS, CASE),
    _post("page-case-close", "/cases/{case}/close", CASE_MANAGERS, CASE, audit="case.close"),
    _post("page-case-file", "/cases/{closed}/file", CASE_FILERS, CLOSED, audit="case.file"),
    # the seizure joins the case; the recording leaves it
    _post("page-case-link", "/cases/{case}/link", CASE_MANAGERS, CASE, audit="case.link_activity"),
    _post("page-case-unlink", "/cases/{case}/unlink", CASE_MANAGERS, CASE, audit="case.unlink"),
    Endpoint("page-access", "/access/", EVERYONE),
    Endpoint("page-access-new", "/access/new?kind=view&recording={rec}", EVERYONE, REC),
    Endpoint("page-access-request", "/access/{req}/", EVERYONE, REQ),
    _post("page-access-approve", "/access/{req}/approve", APPROVERS, REQ, audit="access.approve"),
    _post(
        "page-access-execute",
        "/access/{approved}/execute",
        EXECUTORS,
        APPROVED,
        audit="access.execute",
    ),
    _post(
        "page-access-withdraw", "/access/{req}/withdraw", REQUESTER, REQ, audit="access.withdraw"
    ),
    _post("page-access-revoke", "/access/{export}/revoke", REVOKERS, EXPORT, audit="access.revoke"),
    Endpoint("page-registers", "/registers/", REGISTER_READERS, ok=302),
    Endpoint("page-register-view", "/registers/view/", REGISTER_READERS),
    Endpoint("page-register-copy", "/registers/copy/", REGISTER_READERS),
    Endpoint(
        "page-register-export",
        "/registers/view/export?format=xlsx",
        REGISTER_READERS,
        audit="register.export",
    ),
    Endpoint("page-package-status", "/evidence/{pkg}/status", EVERYONE, PKG),
    # The requester gets as far as the package: not built yet, refused with a message (302).
    Endpoint("page-package-download", "/evidence/{pkg}/download/bag", REQUESTER, PKG, ok=302),
    _post("page-disc", "/evidence/discs/{disc}", DISC_KEEPERS, DISC, audit="evidence.disc"),
    Endpoint("page-disc-label", "/evidence/discs/{disc}/label.pdf", EVERYONE, DISC),
    Endpoint("api-cases", "/api/v1/cases", EVERYONE),
    # Permission first: the permitted get as far as the unit, which nobody has: 422.
    Endpoint("api-case-create", "/api/v1/cases", CASE_MANAGERS, method="POST", ok=422),
    Endpoint("api-case", "/api/v1/cases/{case}", EVERYONE, CASE, "case.view"),
    Endpoint(
        "api-case-close",
        "/api/v1/cases/{case}/close",
        CASE_MANAGERS,
        CASE,
        "case.close",
        method="POST",
    ),
    Endpoint(
        "api-case-file",
        "/api/v1/cases/{closed}/file",
        CASE_FILERS,
        CLOSED,
        "case.file",
        method="POST",
    ),
    # the recording is in the case already: nothing added, nothing audited
    Endpoint(
        "api-case-link", "/api/v1/cases/{case}/recordings", CASE_MANAGERS, CASE, method="POST"
    ),
    Endpoint("api-access-requests", "/api/v1/access-requests", EVERYONE),
    Endpoint(
        "api-access-request-create",
        "/api/v1/access-requests",
        EVERYONE,
        ASK,
        "access.request",
        method="POST",
        ok=201,
    ),
    Endpoint("api-access-request", "/api/v1/access-requests/{req}", EVERYONE, REQ),
    Endpoint(
        "api-access-approve",
        "/api/v1/access-requests/{req}/approve",
        APPROVERS,
        REQ,
        "access.approve",
        method="POST",
    ),
    Endpoint(
        "api-access-reject",
        "/api/v1/access-requests/{req}/reject",
        APPROVERS,
        REQ,
        "access.reject",
        method="POST",
    ),
    Endpoint(
        "api-access-execute",
        "/api/v1/access-requests/{approved}/execute",
        EXECUTORS,
        APPROVED,
        "access.execute",
        method="POST",
    ),
    Endpoint(
        "api-access-revoke",
        "/api/v1/access-requests/{export}/revoke",
        REVOKERS,
        EXPORT,
        "access.revoke",
        method="POST",
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
# The body each POST sends: what a permitted user's form or script would send.
ISSUE6_POST = {
    "page-case-link": lambda w: {"activity": w.activity},
    "page-case-unlink": lambda w: {"recording": w.recording["squad1"]},
    "page-access-approve": lambda w: {"decision": "approve", "comment": "同意"},
    "page-access-revoke": lambda w: {"reason": "案件已办结，不再需要"},
    "page-disc": lambda w: {"location": "档案室 3 号柜"},
}
ISSUE6_JSON = {
    "api-case-create": lambda w: {
        "number": "桐市监罚〔2026〕99号",
        "title": "某超市销售不合格商品案",
        "case_type": "penalty",
        "unit": "NOSUCH",
        "opened_on": "2026-11-20",
    },
    "api-case-close": lambda w: {},
    "api-case-file": lambda w: {},
    "api-case-link": lambda w: {"recordings": [w.recording["squad1"]]},
    "api-access-request-create": lambda w: {
        "kind": "view",
        "reason": "执法监督需要查阅",
        "days": 3,
        "recording_ids": [w.recording["squad1"]],
    },
    "api-access-approve": lambda w: {"comment": "同意"},
    "api-access-reject": lambda w: {"comment": "事由不充分"},
    "api-access-execute": lambda w: {},
    "api-access-revoke": lambda w: {"reason": "案件已办结，不再需要"},
}


# --- retention and legal holds (M5, S1) ---------------------------------------------------
# Objects: a complaint's hold on squad 1's case, gathering 张伟's recording (HOLD); a
# litigation hold on the seizure whose release 林海 asked for (HELD); the bureau's disposal
# list in review with one item (DISPOSAL, ITEM: a bureau recording past its date); a second
# list reviewed by the archivist (SUBMITTED); the destruction record of a purged bureau
# recording (RECORD); 周敏's request to shorten 杨军's recording (CHANGE). PURGE: 张伟's
# recording, asked to be purged (held: refused, 409, the refusal audited).
HOLD, HELD, PURGE = "hold", "held", "purge_recording"
DISPOSAL, SUBMITTED, ITEM = "disposal", "submitted_disposal", "disposal_item"
RECORD, CHANGE = "destruction_record", "retention_change"
RETENTION_READERS = EVERYONE - OFFICERS  # unit roles, supervisors, archivists; sysadmin
HOLD_PLACERS = RETENTION_READERS - POLICY_MANAGERS  # the unit roles within their scope
# tongbai's retention: reviewed_by 档案管理员, approved_by 分管领导 (only a role the profile
# names decides, never a system administrator, never the one who asked).
RETENTION_REVIEWERS = frozenset(["archivist"])
RETENTION_APPROVERS = frozenset(["leader"])
BUREAU_SCOPE = frozenset(["bureau_admin", "leader", "archivist", "sysadmin", "superuser"])
SEEN_BY |= {
    HOLD: UNIT_SCOPE["squad1"],
    HELD: UNIT_SCOPE["squad1"],
    PURGE: RECORDING_SCOPE["squad1"],
    DISPOSAL: BUREAU_SCOPE,  # a list is the agency's (the bureau)
    SUBMITTED: BUREAU_SCOPE,
    ITEM: BUREAU_SCOPE,
    RECORD: BUREAU_SCOPE,  # its recording was the bureau's
    CHANGE: UNIT_SCOPE["squad2"],
}

RETENTION = [
    Endpoint("page-retention", "/retention/", RETENTION_READERS),
    Endpoint("page-holds", "/retention/holds/", RETENTION_READERS),
    Endpoint("page-hold-new", "/retention/holds/new", HOLD_PLACERS),
    Endpoint("page-hold", "/retention/holds/{hold}/", RETENTION_READERS, HOLD),
    _post(
        "page-hold-release",
        "/retention/holds/{hold}/release",
        HOLD_PLACERS,
        HOLD,
        audit="retention.hold_release_request",
    ),
    _post(
        "page-hold-approve",
        "/retention/holds/{held}/approve",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release",
    ),
    _post(
        "page-hold-reject",
        "/retention/holds/{held}/reject",
        RETENTION_APPROVERS,
        HELD,
        audit="retention.hold_release_reject",
    ),
    Endpoint("page-disposals", "/retention/disposals/", RETENTION_READERS),
    Endpoint("page-disposal", "/retention/disposals/{disposal}/", RETENTION_READERS, DISPOSAL),
    Endpoint(
        "page-disposal-progress",
        "/retention/disposals/{disposal}/progress",
        RETENTION_READERS,
        DISPOSAL,
    ),
    _post(
        "page-disposal-item",
        "/retention/disposals/{disposal}/items/{item}",
        RETENTION_REVIEWERS,
        ITEM,
        audit="retention.review",
    ),
    _post(
        "page-disposal-submit",
        "/retention/disposals/{disposal}/submit",
        RETENTION_REVIEWERS,
        DISPOSAL,
        audit="retention.disposal_submit",
    ),
    _post(
        "page-disposal-decide",
        "/retention/disposals/{submitted}/decide",
        RETENTION_APPROVERS,
        SUBMITTED,
        audit="retention.disposal_approve",
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
    _post(
        "page-retention-fact",
        "/retention/recordings/{rec}/fact",
        HOLD_PLACERS,
        REC,
        audit="retention.fact",
    ),
    _post(
        "page-retention-shorten",
        "/retention/recordings/{rec}/shorten",
        HOLD_PLACERS,
        REC,
        audit="retention.change_request",
    ),
    _post(
        "page-change-decide",
        "/retention/changes/{change}/decide",
        RETENTION_APPROVERS,
        CHANGE,
        audit="retention.change_approve",
    ),
    # Anyone who sees a recording sees its retention, as on its page.
    Endpoint("api-retention", "/api/v1/retention/recordings/{rec}", EVERYONE, REC),
    Endpoint(
        "api-retention-purge",
        "/api/v1/retention/recordings/{rec}/purge",
        RETENTION_APPROVERS,
        PURGE,
        "retention.purge_refused",
        method="POST",
        ok=409,
    ),
    Endpoint("api-holds", "/api/v1/holds", RETENTION_READERS),
    # Permission first: the permitted get as far as the case, which nobody has: 422.
    Endpoint("api-hold-create", "/api/v1/holds", HOLD_PLACERS, method="POST", ok=422),
    Endpoint("api-hold", "/api/v1/holds/{hold}", RETENTION_READERS, HOLD),
    Endpoint(
        "api-hold-release",
        "/api/v1/holds/{hold}/release",
        HOLD_PLACERS,
        HOLD,
        "retention.hold_release_request",
        method="POST",
    ),
    Endpoint(
        "api-hold-approve",
        "/api/v1/holds/{held}/release/approve",
        RETENTION_APPROVERS,
        HELD,
        "retention.hold_release",
        method="POST",
    ),
    Endpoint(
        "api-hold-reject",
        "/api/v1/holds/{held}/release/reject",
        RETENTION_APPROVERS,
        HELD,
        "retention.hold_release_reject",
        method="POST",
    ),
    Endpoint("api-disposals", "/api/v1/disposals", RETENTION_READERS),
    Endpoint("api-disposal", "/api/v1/disposals/{disposal}", RETENTION_READERS, DISPOSAL),
    # The list is still in review: refused (409), and the refusal audited.
    Endpoint(
        "api-disposal-purge",
        "/api/v1/disposals/{disposal}/purge",
        RETENTION_APPROVERS,
        DISPOSAL,
        "retention.purge_refused",
        method="POST",
        ok=409,
    ),
    Endpoint("api-destruction-records", "/api/v1/destruction-records", RETENTION_READERS),
]
RETENTION_POST = {
    "page-hold-release": lambda w: {"reason": "投诉已办结"},
    "page-hold-reject": lambda w: {"comment": "诉讼尚未终结"},
    "page-disposal-item": lambda w: {"decision": "keep", "fact": "valuable", "reason": "典型案例"},
    "page-disposal-decide": lambda w: {"decision": "approve", "comment": "同意清除"},
    "page-retention-fact": lambda w: {"fact": "mass_incident", "note": "现场围观群众较多"},
    "page-retention-shorten": lambda w: {"reason": "案件已撤销"},
    "page-change-decide": lambda w: {"decision": "approve", "comment": "同意"},
}
RETENTION_JSON = {
    "api-hold-create": lambda w: {"kind": "complaint", "reason": "当事人投诉", "case": 999_999},
    "api-hold-release": lambda w: {"reason": "投诉已办结"},
    "api-hold-approve": lambda w: {},
    "api-hold-reject": lambda w: {"comment": "诉讼尚未终结"},
    "api-retention-purge": lambda w: {},
    "api-disposal-purge": lambda w: {},
}


# --- violations and accountability (S4, S5) -----------------------------------------------
# Objects: the supervisor's open entry about 张伟 (VIOL: not recorded), a confirmed violation
# of his without a decision (CONFIRMED_VIOL) and a decision pending with the leader on a third
# (DECISION: tongbai's 批评教育). NEW_VIOL: the entry an API call makes (names no object
# before). The register is read by supervisors, unit heads, leaders and system
# administrators within their scope; officers, administrators and archivists do not read it
# (its objects are 404 to them, its pages 403).
VIOL, CONFIRMED_VIOL, DECISION, NEW_VIOL = "violation", "confirmed_violation", "decision", "new"
VIOLATION_READERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
VIOLATION_SCOPE = frozenset(["supervisor", "head1", "leader", "sysadmin", "superuser"])
SUPERVISORS = frozenset(["supervisor"])  # enter, confirm, dismiss, propose
LEADERS = frozenset(["leader"])  # approve or reject a decision (never a system administrator)
SEEN_BY |= dict.fromkeys((VIOL, CONFIRMED_VIOL, DECISION), VIOLATION_SCOPE)

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
    _post(
        "page-violation-confirm",
        "/supervision/violations/{violation}/confirm",
        SUPERVISORS,
        VIOL,
        audit="violation.confirm",
    ),
    _post(
        "page-violation-dismiss",
        "/supervision/violations/{violation}/dismiss",
        SUPERVISORS,
        VIOL,
        audit="violation.dismiss",
    ),
    _post(
        "page-violation-propose",
        "/supervision/violations/{confirmed_violation}/decisions",
        SUPERVISORS,
        CONFIRMED_VIOL,
        audit="accountability.propose",
    ),
    Endpoint("page-decisions", "/supervision/decisions/", VIOLATION_READERS),
    _post(
        "page-decision-approve",
        "/supervision/decisions/{decision}/approve",
        LEADERS,
        DECISION,
        audit="accountability.approve",
    ),
    _post(
        "page-decision-reject",
        "/supervision/decisions/{decision}/reject",
        LEADERS,
        DECISION,
        audit="accountability.reject",
    ),
    Endpoint("api-violations", "/api/v1/violations", VIOLATION_READERS),
    Endpoint(
        "api-violation-create",
        "/api/v1/violations",
        SUPERVISORS,
        NEW_VIOL,
        "violation.report",
        method="POST",
        ok=201,
    ),
    Endpoint("api-violation", "/api/v1/violations/{violation}", VIOLATION_READERS, VIOL),
    Endpoint(
        "api-violation-confirm",
        "/api/v1/violations/{violation}/confirm",
        SUPERVISORS,
        VIOL,
        "violation.confirm",
        method="POST",
    ),
    Endpoint(
        "api-violation-dismiss",
        "/api/v1/violations/{violation}/dismiss",
        SUPERVISORS,
        VIOL,
        "violation.dismiss",
        method="POST",
    ),
    Endpoint(
        "api-violation-propose",
        "/api/v1/violations/{confirmed_violation}/decisions",
        SUPERVISORS,
        CONFIRMED_VIOL,
        "accountability.propose",
        method="POST",
        ok=201,
    ),
    Endpoint(
        "api-decision-approve",
        "/api/v1/decisions/{decision}/approve",
        LEADERS,
        DECISION,
        "accountability.approve",
        method="POST",
    ),
    Endpoint(
        "api-decision-reject",
        "/api/v1/decisions/{decision}/reject",
        LEADERS,
        DECISION,
        "accountability.reject",
        method="POST",
    ),
]
VIOLATION_POST = {
    "page-violation-confirm": lambda w: {"reason": "经查看记录，确未按规定记录"},
    "page-violation-dismiss": lambda w: {"reason": "设备故障已有书面说明"},
    "page-violation-propose": lambda w: {"decision": "criticism_education", "reason": "初次违规"},
    "page-decision-approve": lambda w: {"comment": "同意"},
    "page-decision-reject": lambda w: {"comment": "情节较重，应通报批评"},
}
VIOLATION_JSON = {
    "api-violation-create": lambda w: {
        "kind": "not_recorded",
        "unit": "T350200-01",
        "person": w.person,
        "summary": "查封现场未开启执法记录仪",
    },
    "api-violation-confirm": lambda w: {"reason": "经查看记录，确未按规定记录"},
    "api-violation-dismiss": lambda w: {"reason": "设备故障已有书面说明"},
    "api-violation-propose": lambda w: {"decision": "criticism_education", "reason": "初次违规"},
    "api-decision-approve": lambda w: {"comment": "同意"},
    "api-decision-reject": lambda w: {"comment": "情节较重，应通报批评"},
}
# target → (the audit entry's object type, the World field naming it; None: made by the act)
VIOLATION_AUDITED = {
    VIOL: ("compliance.violationcandidate", "violation"),
    NEW_VIOL: ("compliance.violationcandidate", None),
    CONFIRMED_VIOL: ("supervision.accountability", None),
    DECISION: ("supervision.accountability", "decision"),
}


# --- quality scores, the 执法质量考评 report and online review (S1, S2) ----------------------
# Objects: the squad-1 seizure (REVIEW_ACT: its review page; COMPLAINT: a complaint against it
# places a legal hold, kind 投诉, gathering its recordings — it has none). Supervisors, unit
# heads, leaders and system administrators review within their scope; a complaint is a hold,
# placed only by the unit roles (never a system administrator).
REVIEW_ACT, COMPLAINT = "review_activity", "complaint"
REVIEWERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
COMPLAINERS = HEADS | {"leader", "supervisor"}
SEEN_BY |= dict.fromkeys((REVIEW_ACT, COMPLAINT), RECORDING_SCOPE["squad1"])

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
    _post(
        "page-review-complaint",
        "/supervision/review/{act}/complaint",
        COMPLAINERS,
        COMPLAINT,
        audit="retention.hold",
    ),
    Endpoint("api-supervision-quality", "/api/v1/supervision/quality?by=officer", REVIEWERS),
    Endpoint("api-review-activities", "/api/v1/supervision/review/activities", REVIEWERS),
]
QUALITY_REVIEW_POST = {
    "page-review-complaint": lambda w: {
        "reason": "当事人投诉查封现场执法态度",
        "reference": "投诉〔2026〕9号",
    },
}
# target → (the audit entry's object type, the World field naming it; None: made by the act)
QUALITY_REVIEW_AUDITED = {
    REVIEW_ACT: ("compliance.activity", "activity"),
    COMPLAINT: ("retention.legalhold", None),
}


# --- spot-check campaigns and scoring (S2, S3) ------------------------------------------
# Objects: a spot check of squad 1 over September, drawn at 100%: one sample, the seizure
# (CAMPAIGN, SAMPLE: scoring, nothing scored yet); a draft over the same period (DRAFT_CAMP:
# its draw succeeds). NEW_CAMP: the campaign an API call makes. Campaigns are read by
# supervisors, unit heads, leaders and system administrators; anyone else is refused (403)
# before any campaign is looked up, so only a reader outside squad 1 (孙立) meets a 404.
CAMPAIGN, DRAFT_CAMP, SAMPLE, NEW_CAMP = "campaign", "draft_campaign", "sample", "new_campaign"
CAMPAIGN_READERS = POLICY_MANAGERS | HEADS | {"leader", "supervisor"}
CAMPAIGN_MANAGERS = POLICY_MANAGERS | {"supervisor"}  # create, draw, close
SCORERS = frozenset(["supervisor"])  # reviewers are supervisors only
SEEN_BY |= dict.fromkeys((CAMPAIGN, DRAFT_CAMP, SAMPLE), EVERYONE - {"head2"})

CAMPAIGNS = [
    Endpoint("page-campaigns", "/supervision/campaigns/", CAMPAIGN_READERS),
    Endpoint("page-campaign-new", "/supervision/campaigns/new", CAMPAIGN_MANAGERS),
    Endpoint("page-campaign", "/supervision/campaigns/{campaign}/", CAMPAIGN_READERS, CAMPAIGN),
    _post(
        "page-campaign-draw",
        "/supervision/campaigns/{draft}/draw",
        CAMPAIGN_MANAGERS,
        DRAFT_CAMP,
        audit="supervision.draw",
    ),
    _post(
        "page-campaign-recheck",
        "/supervision/campaigns/{campaign}/recheck",
        CAMPAIGN_READERS,
        CAMPAIGN,
        audit="supervision.recheck",
    ),
    _post(
        "page-campaign-close",
        "/supervision/campaigns/{campaign}/close",
        CAMPAIGN_MANAGERS,
        CAMPAIGN,
        audit="supervision.close",
    ),
    Endpoint("page-sample", "/supervision/samples/{sample}/", CAMPAIGN_READERS, SAMPLE),
    _post(
        "page-sample-score",
        "/supervision/samples/{sample}/score",
        SCORERS,
        SAMPLE,
        audit="supervision.score",
    ),
    Endpoint("api-campaigns", "/api/v1/campaigns", CAMPAIGN_READERS),
    Endpoint(
        "api-campaign-create",
        "/api/v1/campaigns",
        CAMPAIGN_MANAGERS,
        NEW_CAMP,
        "supervision.create",
        method="POST",
        ok=201,
    ),
    Endpoint("api-campaign", "/api/v1/campaigns/{campaign}", CAMPAIGN_READERS, CAMPAIGN),
    Endpoint(
        "api-campaign-draw",
        "/api/v1/campaigns/{draft}/draw",
        CAMPAIGN_MANAGERS,
        DRAFT_CAMP,
        "supervision.draw",
        method="POST",
    ),
    Endpoint(
        "api-campaign-recheck",
        "/api/v1/campaigns/{campaign}/recheck",
        CAMPAIGN_READERS,
        CAMPAIGN,
        "supervision.recheck",
        method="POST",
    ),
    Endpoint(
        "api-campaign-close",
        "/api/v1/campaigns/{campaign}/close",
        CAMPAIGN_MANAGERS,
        CAMPAIGN,
        "supervision.close",
        method="POST",
    ),
    Endpoint("api-sample", "/api/v1/samples/{sample}", CAMPAIGN_READERS, SAMPLE),
    Endpoint(
        "api-sample-score",
        "/api/v1/samples/{sample}/score",
        SCORERS,
        SAMPLE,
        "supervision.score",
        method="POST",
    ),
]
# tongbai's checklist, every item passed
CAMPAIGN_CHECKLIST = [
    "recorded_as_required",
    "continuous",
    "notice_and_credentials",
    "times_match_documents",
    "stored_in_time",
]
CAMPAIGN_POST = {
    "page-campaign-draw": lambda w: {},
    "page-campaign-recheck": lambda w: {},
    "page-campaign-close": lambda w: {"reason": "人员调整，提前结束"},
    "page-sample-score": lambda w: {f"item_{code}": "pass" for code in CAMPAIGN_CHECKLIST},
}
CAMPAIGN_JSON = {
    "api-campaign-create": lambda w: {
        "kind": "spot_check",
        "title": "2026年10月音像记录抽查",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "units": ["T350200-01"],
    },
    "api-campaign-draw": lambda w: {},
    "api-campaign-recheck": lambda w: {},
    "api-campaign-close": lambda w: {"reason": "人员调整，提前结束"},
    "api-sample-score": lambda w: {
        "items": [{"code": code, "passed": True} for code in CAMPAIGN_CHECKLIST]
    },
}
# target → (the audit entry's object type, the World field naming it; None: made by the act)
CAMPAIGN_AUDITED = {
    CAMPAIGN: ("supervision.campaign", "campaign"),
    DRAFT_CAMP: ("supervision.campaign", "draft_campaign"),
    SAMPLE: ("supervision.sample", "sample"),
    NEW_CAMP: ("supervision.campaign", None),
}


# --- one's own account and sign-in locks (issue 15, rows 5 and 13) -------------------------
# Everyone changes his own password; system administrators see and lift sign-in locks. An
# unlock naming nothing is refused with a message (302) and records nothing; the act itself
# and its audit entry are tested in tests/test_login_security.py.
UNLOCKERS = frozenset(["sysadmin", "superuser"])
ACCOUNTS = [
    Endpoint("page-password-change", "/account/password/", EVERYONE),
    Endpoint("page-lockouts", "/account/lockouts/", UNLOCKERS),
    Endpoint("page-lockouts-unlock", "/account/lockouts/unlock", UNLOCKERS, method="POST", ok=302),
]


# --- binding a recording that waits for assignment (issue 15, row 1; M1) -------------------
# Records administrators within their scope and system administrators bind; officers are
# refused even on their own waiting uploads. The squad-1 recording is already bound, so the
# permitted are told so (page: a message and back, 302; API: 409) and nothing changes; the
# act itself, and its audit entry, are tested in tests/test_upload_binding.py.
ASSIGN = "recording_by_post"  # the squad-1 recording, through a POST-only API route
SEEN_BY[ASSIGN] = SEEN_BY[REC]
ASSIGNMENT = [
    Endpoint(
        "page-recording-assign", "/recordings/{rec}/assign", ADMINS, REC, method="POST", ok=302
    ),
    Endpoint(
        "api-recording-assign",
        "/api/v1/recordings/{rec}/assignment",
        ADMINS,
        ASSIGN,
        method="POST",
        ok=409,
    ),
]
ASSIGNMENT_JSON = {"api-recording-assign": lambda w: {"officer_id": w.users["officer"].pk}}


# --- the audit chain's signed anchors (X1, issue 15 row 10) -------------------------------
# System administrators keep the signing key, supervisors check the records' integrity: they
# see the public key and the anchors, print them and take them for a disc (each export
# audited, naming no object).
ANCHOR_READERS = POLICY_MANAGERS | {"supervisor"}
AUDIT_ANCHORS = [
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
