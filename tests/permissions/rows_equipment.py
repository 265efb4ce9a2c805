"""The equipment ledger (E1–E7). Objects: the squad-1 camera held by 张伟 (DEV: he and squad
1's unit roles see it; MDEV: the same camera on the administrators' pages, looked up once the
permission is held), a squad-1 spare reported lost (EVT: the unit head above acknowledges), a
custody of it with a missing charger (CUST), 王芳's open departure clearance (CLR), a clock flag
on the camera (FLAG) and 张伟 himself (PERSON)."""

from __future__ import annotations

from tests.permissions.rules import (
    ACKNOWLEDGERS,
    ADMINS,
    EVERYONE,
    HEADS,
    RECORDING_SCOPE,
    UNIT_SCOPE,
    Endpoint,
    Target,
    api_post,
    post,
)

DEV = Target("device", seen_by=RECORDING_SCOPE["squad1"])
MDEV = Target("managed_device", seen_after_permission=UNIT_SCOPE["squad1"])
EVT = Target("loss_event", seen_by=UNIT_SCOPE["squad1"])
CUST = Target("custody", seen_after_permission=UNIT_SCOPE["squad1"])
CLR = Target("clearance", seen_after_permission=UNIT_SCOPE["squad1"])
FLAG = Target("clock_flag", seen_by=RECORDING_SCOPE["squad1"])
PERSON = Target("person", seen_by=RECORDING_SCOPE["squad1"])
SERIAL = "3501001"  # the camera, as a station names it in the API
EQUIPMENT_VIEWERS = ADMINS | HEADS | {"leader", "supervisor"}
CHECKERS = frozenset(["officer", "admin", "bureau_admin", "sysadmin", "superuser"])  # holder
USAGE_READERS = EQUIPMENT_VIEWERS | {"officer"}  # …and the person himself
LOSS_ACKNOWLEDGERS = ACKNOWLEDGERS  # squad 1's unit head, or the leader above him
CHECK_BODY = {"works": True, "battery_ok": True, "storage_ok": True, "clock_ok": True}


def _clearance_step(name: str, step: str) -> Endpoint:
    return post(
        name,
        f"/equipment/clearances/{{clr}}/{step}",
        ADMINS,
        CLR,
        body=lambda w: {"reason": "调动取消"},
    )


ROWS = [
    Endpoint("page-equipment", "/equipment/", EQUIPMENT_VIEWERS),
    Endpoint("page-devices", "/equipment/devices/", EVERYONE),
    Endpoint("page-device", "/equipment/devices/{dev}/", EVERYONE, DEV),
    # no holder chosen: refused with a message (302)
    post(
        "page-device-issue",
        "/equipment/devices/{dev}/issue",
        ADMINS,
        MDEV,
        body=lambda w: {"condition": "完好"},
    ),
    post(
        "page-device-return",
        "/equipment/devices/{dev}/return",
        ADMINS,
        MDEV,
        body=lambda w: {"condition": "完好"},
    ),
    post(
        "page-device-event",
        "/equipment/devices/{dev}/event",
        ADMINS,
        MDEV,
        body=lambda w: {"kind": "maintenance", "note": "清洁镜头"},
    ),
    post(
        "page-custody-accessories",
        "/equipment/custody/{cust}/accessories",
        ADMINS,
        CUST,
        body=lambda w: {"names": "充电器"},
    ),
    post("page-loss-acknowledge", "/equipment/events/{evt}/acknowledge", LOSS_ACKNOWLEDGERS, EVT),
    Endpoint("page-staffing", "/equipment/staffing", EQUIPMENT_VIEWERS),
    Endpoint("page-clearances", "/equipment/clearances/", EQUIPMENT_VIEWERS),
    Endpoint("page-clearance-new", "/equipment/clearances/new", ADMINS),
    Endpoint("page-clearance", "/equipment/clearances/{clr}/", EQUIPMENT_VIEWERS, CLR),
    _clearance_step("page-clearance-handover", "handover"),
    _clearance_step("page-clearance-complete", "complete"),
    _clearance_step("page-clearance-cancel", "cancel"),
    Endpoint("page-device-check", "/equipment/devices/{dev}/check", CHECKERS, DEV),
    Endpoint("page-checks", "/equipment/checks", EVERYONE),
    Endpoint("page-clock-flags", "/equipment/clock-flags", EVERYONE),
    post(
        "page-clock-resolve",
        "/equipment/clock-flags/{flag}/resolve",
        ADMINS,
        FLAG,
        body=lambda w: {"note": "已按北京时间校准"},
    ),
    Endpoint("page-device-new", "/equipment/devices/new", ADMINS),
    Endpoint("page-device-edit", "/equipment/devices/{dev}/edit", ADMINS, MDEV),
    Endpoint("page-device-usage", "/equipment/devices/{dev}/usage", USAGE_READERS, DEV),
    Endpoint("page-person-usage", "/equipment/people/{person}/usage", USAGE_READERS, PERSON),
    Endpoint("page-device-import", "/equipment/import", ADMINS),
    Endpoint("page-device-export", "/equipment/export.xlsx", EQUIPMENT_VIEWERS),
    Endpoint("page-my-devices", "/equipment/mine", EVERYONE),
    Endpoint("api-device-checks", f"/api/v1/devices/{SERIAL}/checks", EVERYONE, DEV),
    api_post(
        "api-device-check-create",
        f"/api/v1/devices/{SERIAL}/checks",
        CHECKERS,
        DEV,
        ok=201,
        body=lambda w: CHECK_BODY,
    ),
]
