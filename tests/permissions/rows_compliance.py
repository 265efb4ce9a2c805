"""Activities, findings, exemptions and the to-do list (U1–U4): the squad-1 officer's seizure
that nothing recorded, its finding and his exemption, all scoped like his recordings."""

from __future__ import annotations

from tests.permissions.rows_recordings import photo_upload
from tests.permissions.rules import (
    ACKNOWLEDGERS,
    ADMINS,
    EVERYONE,
    HEADS,
    RECORDING_SCOPE,
    UPLOADERS,
    Endpoint,
    Target,
    api_post,
    post,
)

ACT = Target("activity", seen_by=RECORDING_SCOPE["squad1"])
FIND = Target("finding", seen_by=RECORDING_SCOPE["squad1"])
EXEMPT = Target("exemption", seen_by=RECORDING_SCOPE["squad1"])
ACTIVITY_RECORDERS = UPLOADERS | HEADS  # officers, administrators, unit heads (U1)
EXEMPTION_DECIDERS = ACKNOWLEDGERS


def work_record(world) -> dict:
    """What the seizure's forms send: its recording, or a ground for having none."""
    return {
        "recording": world.recording["squad1"],
        "ground": "device_fault",
        "reason": "设备故障无法开机",
        "basis": "000§13",
    }


def explanation(world) -> dict:
    return {"reason": "device_fault", "text": "设备故障，重启后继续"}


ROWS = [
    Endpoint("page-activities", "/activities/", EVERYONE),
    Endpoint("page-activity-new", "/activities/new", ACTIVITY_RECORDERS),
    Endpoint("page-activity-import", "/activities/import", ADMINS),
    Endpoint("page-activity", "/activities/{act}/", EVERYONE, ACT),
    post("page-activity-link", "/activities/{act}/link", ACTIVITY_RECORDERS, ACT, body=work_record),
    post(
        "page-activity-exemption",
        "/activities/{act}/exemption",
        ["officer"],  # only the activity's own officers write its work record
        ACT,
        body=work_record,
    ),
    post(
        "page-activity-extension",
        "/activities/{act}/extension",
        ACKNOWLEDGERS,  # the unit head (or above); tongbai has no extension: refused politely
        ACT,
        body=work_record,
    ),
    Endpoint("page-findings", "/findings/", EVERYONE),
    post(
        "page-finding-explain",
        "/findings/{finding}/explain",
        ["officer"],  # only the officer the finding is about
        FIND,
        body=explanation,
    ),
    post(
        "page-finding-acknowledge",
        "/findings/{finding}/acknowledge",
        ACKNOWLEDGERS,
        FIND,
        body=explanation,
    ),
    post(
        "page-exemption-decide",
        "/exemptions/{exemption}/decide",
        EXEMPTION_DECIDERS,
        EXEMPT,
        body=lambda w: {"decision": "approve", "note": "同意"},
    ),
    Endpoint("page-todo", "/todo/", EVERYONE),
    Endpoint("api-activities", "/api/v1/activities", EVERYONE),
    Endpoint("api-activity", "/api/v1/activities/{act}", EVERYONE, ACT),
    # Permission first: the permitted get as far as checking the body: well-formed, naming a
    # unit nobody has (422); the import's file is a photo, not a table (422).
    api_post(
        "api-activity-create",
        "/api/v1/activities",
        ACTIVITY_RECORDERS,
        ok=422,
        body=lambda w: {
            "unit": "NOSUCH",
            "kind": "on_site_inspection",
            "started_at": "2026-11-20T09:00:00+08:00",
            "ended_at": "2026-11-20T10:00:00+08:00",
            "officers": ["35020019001"],
        },
    ),
    Endpoint(
        "api-activity-import",
        "/api/v1/activities/import",
        ADMINS,
        method="POST",
        ok=422,
        body=lambda w: photo_upload(w, "file"),
    ),
    Endpoint("api-findings", "/api/v1/findings", EVERYONE),
    Endpoint("api-todo", "/api/v1/todo", EVERYONE),
]
