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
        "head2",
        "supervisor",
        "archivist",
        "sysadmin",
        "superuser",
    ]
)
ADMINS = frozenset(["admin", "other_admin", "bureau_admin", "sysadmin", "superuser"])
UPLOADERS = ADMINS | {"officer", "officer2", "other_officer"}
CASE_EDITORS = UPLOADERS  # administrators, and officers on their own recordings (M4)
CASE_INFO = {
    "case_number": "桐市监罚〔2026〕1号",
    "party": "桐城市华兴贸易有限公司",
    "place": "湖滨路8号",
}
FIXITY_VIEWERS = ADMINS | {"leader", "head2"}  # administrators, unit heads, leaders
POLICY_MANAGERS = frozenset(["sysadmin", "superuser"])
ACTIVITY_RECORDERS = UPLOADERS | {"head2"}  # officers, administrators, unit heads (U1)
# The profile (tongbai) names the unit head: squad 1 has none in this world, so the bureau
# leader above it decides; system administrators may too.
ACKNOWLEDGERS = POLICY_MANAGERS | {"leader"}
EXEMPTION_DECIDERS = POLICY_MANAGERS | {"leader"}
# Unit roles see their unit's subtree, system administrators everything.
UNIT_SCOPE = {
    "squad1": frozenset(
        ["admin", "bureau_admin", "leader", "supervisor", "archivist", "sysadmin", "superuser"]
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

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

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
EQUIPMENT_VIEWERS = ADMINS | {"leader", "head2", "supervisor"}
CHECKERS = frozenset(["officer", "admin", "bureau_admin", "sysadmin", "superuser"])  # holder
USAGE_READERS = EQUIPMENT_VIEWERS | {"officer"}  # …and the person himself
LOSS_ACKNOWLEDGERS = POLICY_MANAGERS | {"leader"}  # squad 1 has no unit head; the leader above
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
