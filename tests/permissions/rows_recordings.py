"""Recordings (M1–M4, M8): lists, pages, media, uploads, ingest batches, quarantine, fixity, and
binding a recording that waits for assignment."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.permissions.rules import (
    ADMINS,
    EVERYONE,
    HEADS,
    RECORDING_SCOPE,
    UNIT_SCOPE,
    UPLOADERS,
    Endpoint,
    Target,
    api_post,
    post,
)

REC = Target("recording", seen_by=RECORDING_SCOPE["squad1"])
BATCH = Target("batch", seen_after_permission=UNIT_SCOPE["squad1"])
ALARM = Target("alarm", seen_after_permission=UNIT_SCOPE["squad1"])
# The squad-1 recording through a POST-only API route.
ASSIGN = Target("recording_by_post", seen_by=RECORDING_SCOPE["squad1"])

CASE_EDITORS = UPLOADERS  # administrators, and officers on their own recordings (M4)
CASE_INFO = {
    "case_number": "桐市监罚〔2026〕1号",
    "party": "桐城市华兴贸易有限公司",
    "place": "湖滨路8号",
}
FIXITY_VIEWERS = ADMINS | HEADS | {"leader"}  # administrators, unit heads, leaders
# Playing is free for the recording's own officer; anyone else needs a live view or copy
# grant (the world's: copies for 林海 and the leader, a view for the supervisor).
# Downloading an original needs a live copy grant, whoever asks (M3, M8).
PLAYERS = frozenset(["officer", "admin", "leader", "supervisor"])
COPIERS = frozenset(["admin", "leader"])


def photo_upload(world, field: str = "files") -> dict:
    """A file to upload: a photo, which is no recording."""
    return {field: SimpleUploadedFile("现场照片.jpg", world.photo, content_type="image/jpeg")}


ROWS = [
    Endpoint("page-list", "/recordings/", EVERYONE),
    # Pickers and bulk actions (issue 17 §6): a picker finds only what the user may see; a
    # bulk request action opens the request form (tests/test_pickers.py, test_bulk_actions.py).
    Endpoint("page-pick", "/pick/recordings/", EVERYONE),
    post(
        "page-bulk",
        "/recordings/bulk/",
        EVERYONE,
        body=lambda w: {"action": "view", "recording": w.recording["squad1"]},
    ),
    Endpoint("page-detail", "/recordings/{rec}/", EVERYONE, REC, "recording.view"),
    Endpoint("page-media", "/recordings/{rec}/media", PLAYERS, REC, "recording.play"),
    Endpoint("page-original", "/recordings/{rec}/original", COPIERS, REC, "recording.download"),
    # A thumbnail is a frame of the recording: those who may play it get it, audited; the
    # others in scope a placeholder picture, nothing recorded.
    Endpoint(
        "page-thumbnail",
        "/recordings/{rec}/thumbnail",
        EVERYONE,
        REC,
        "recording.thumbnail",
        audited_for=PLAYERS,
    ),
    post(
        "page-case-info",
        "/recordings/{rec}/case-info",
        CASE_EDITORS,
        REC,
        audit="recording.edit",
        body=lambda w: CASE_INFO,
    ),
    # The player (issue 17 §5): bookmarks and snapshots for those who may play; a bookmark
    # or snapshot that does not exist is 404 to them (adding, deleting and downloading are
    # tested in tests/test_player_marks.py and tests/test_snapshots.py).
    post(
        "page-bookmark-add",
        "/recordings/{rec}/bookmarks",
        PLAYERS,
        REC,
        audit="recording.bookmark",
        body=lambda w: {"at": "1", "text": "矩阵标记"},
    ),
    post("page-bookmark-delete", "/recordings/{rec}/bookmarks/999999/delete", PLAYERS, REC, ok=404),
    post(
        "page-snapshot-take",
        "/recordings/{rec}/snapshots",
        PLAYERS,
        REC,
        audit="recording.snapshot",
        body=lambda w: {"at": "1"},
    ),
    Endpoint("page-snapshot", "/recordings/{rec}/snapshots/999999", PLAYERS, REC, ok=404),
    Endpoint("page-upload", "/upload/", UPLOADERS),
    # the upload form without JavaScript posts its files to the page (issue 19 §3)
    post("page-upload-form", "/upload/", UPLOADERS, ok=200, body=photo_upload),
    Endpoint("page-batches", "/ingest/", ADMINS),
    Endpoint("page-batch", "/ingest/{batch}/", ADMINS, BATCH),
    Endpoint("page-quarantine", "/quarantine/", ADMINS),
    Endpoint("page-fixity", "/fixity/", FIXITY_VIEWERS),
    post(
        "page-fixity-acknowledge",
        "/fixity/alarms/{alarm}/acknowledge",
        ADMINS,
        ALARM,
        audit="fixity.acknowledge",
        body=lambda w: {"note": "已核实"},
    ),
    Endpoint("api-list", "/api/v1/recordings", EVERYONE),
    Endpoint("api-detail", "/api/v1/recordings/{rec}", EVERYONE, REC, "recording.view"),
    Endpoint("api-media", "/api/v1/recordings/{rec}/media", PLAYERS, REC, "recording.play"),
    Endpoint(
        "api-original", "/api/v1/recordings/{rec}/original", COPIERS, REC, "recording.download"
    ),
    Endpoint(
        "api-upload",
        "/api/v1/recordings/uploads",
        UPLOADERS,
        method="POST",
        ok=201,
        body=photo_upload,
    ),
    Endpoint("api-marks", "/api/v1/recordings/{rec}/marks", PLAYERS, REC),
    api_post(
        "api-bookmark-add",
        "/api/v1/recordings/{rec}/bookmarks",
        PLAYERS,
        ASSIGN,  # the squad-1 recording through a route that takes no GET
        ok=201,
        audit="recording.bookmark",
        body=lambda w: {"at_seconds": 1, "text": "矩阵标记"},
    ),
    Endpoint(
        "api-bookmark-delete",
        "/api/v1/recordings/{rec}/bookmarks/999999",
        PLAYERS,
        ASSIGN,  # the squad-1 recording through a route that takes no GET
        method="DELETE",
        ok=404,
    ),
    Endpoint("api-batches", "/api/v1/ingest/batches", ADMINS),
    Endpoint("api-batch", "/api/v1/ingest/batches/{batch}", ADMINS, BATCH),
    Endpoint("api-quarantine", "/api/v1/quarantine", ADMINS),
    Endpoint("api-fixity-alarms", "/api/v1/fixity/alarms", FIXITY_VIEWERS),
    # Binding a recording that waits for assignment (M1): records administrators within their
    # scope and system administrators bind; officers are refused even on their own waiting
    # uploads. The squad-1 recording is already bound, so the permitted are told so (page: a
    # message and back, 302; API: 409) and nothing changes; the act itself, and its audit
    # entry, are tested in tests/test_upload_binding.py.
    post("page-recording-assign", "/recordings/{rec}/assign", ADMINS, REC),
    api_post(
        "api-recording-assign",
        "/api/v1/recordings/{rec}/assignment",
        ADMINS,
        ASSIGN,
        ok=409,
        body=lambda w: {"officer_id": w.users["officer"].pk},
    ),
]
