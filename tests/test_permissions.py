"""X2: who may open which page or call which endpoint, and what they may see.

One table row per endpoint; every stock user is tried against every row. A user's answer
follows from three facts kept in the tables of tests/permission_rules.py: which objects are
in their scope, which permission (or live grant) the endpoint needs, and which act the audit
trail must record.
"""

from __future__ import annotations

import base64
import os
import re
from collections import defaultdict
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from avrecords.api import api
from avrecords.audit.models import AuditEntry
from avrecords.lib.storage import get_store
from avrecords.org.models import User
from avrecords.recordings.models import Recording
from tests import media as m
from tests.conftest import PASSWORD, client_for
from tests.permission_rules import (
    ACCOUNTS,
    ACKNOWLEDGERS,
    ACT,
    ACTIVITY_RECORDERS,
    ADMINS,
    ALARM,
    APPROVED,
    ASK,
    ASSIGNMENT,
    ASSIGNMENT_JSON,
    AUDIT_ANCHORS,
    BATCH,
    CAMPAIGN_AUDITED,
    CAMPAIGN_JSON,
    CAMPAIGN_POST,
    CAMPAIGNS,
    CASE,
    CASE_EDITORS,
    CASE_INFO,
    CHANGE,
    CHECK_BODY,
    CLOSED,
    CLR,
    COPIERS,
    CUST,
    DEVICE_POST,
    DISC,
    DISPOSAL,
    EQUIPMENT,
    EVERYONE,
    EVT,
    EXEMPT,
    EXEMPTION_DECIDERS,
    EXPORT,
    FIND,
    FIXITY_VIEWERS,
    FLAG,
    HELD,
    HOLD,
    ISSUE6,
    ISSUE6_JSON,
    ISSUE6_POST,
    ITEM,
    MDEV,
    PLAYERS,
    POLICY_MANAGERS,
    QUALITY_REVIEW,
    QUALITY_REVIEW_AUDITED,
    QUALITY_REVIEW_POST,
    REC,
    RECORD,
    RECORDING_SCOPE,
    REQ,
    RETENTION,
    RETENTION_JSON,
    RETENTION_POST,
    SEEN_AFTER_PERMISSION,
    SEEN_BY,
    SUBMITTED,
    UNIT_SCOPE,
    UPLOADERS,
    VIOLATION_AUDITED,
    VIOLATION_JSON,
    VIOLATION_POST,
    VIOLATIONS,
    Endpoint,
)
from tests.permissions_world import (
    CASE_NUMBERS,
    CUSTOM,
    NO_SUCH_ID,
    SQUAD1_BROKEN,
    SQUAD1_NAME,
    SQUAD2_BROKEN,
    SQUAD2_NAME,
    World,
    custom_profile_source,
)

# `world` and its module-scoped build are fixtures of tests/permissions_world.py (a plugin
# named in conftest); the store override below makes every test use the world's store.


@pytest.fixture(autouse=True)
def isolated_store(settings, world_dir):
    """Overrides conftest's: the module's one world keeps its originals in one store."""
    settings.AVRECORDS_STORE_PATH = world_dir / "store"
    settings.AVRECORDS_DERIVED_PATH = world_dir / "derived"
    get_store.cache_clear()
    yield settings.AVRECORDS_STORE_PATH
    get_store.cache_clear()


# --- the rules --------------------------------------------------------------------------

ENDPOINTS = [
    Endpoint("page-list", "/recordings/", EVERYONE),
    Endpoint("page-detail", "/recordings/{rec}/", EVERYONE, REC, "recording.view"),
    # Playing needs one's own recording or a live grant; downloading a live copy grant (M3).
    Endpoint("page-media", "/recordings/{rec}/media", PLAYERS, REC, "recording.play"),
    Endpoint("page-original", "/recordings/{rec}/original", COPIERS, REC, "recording.download"),
    # A thumbnail is a frame of the recording: those who may play it get it, audited; the
    # others in scope a placeholder picture, nothing recorded (issue 15, row 3).
    Endpoint(
        "page-thumbnail",
        "/recordings/{rec}/thumbnail",
        EVERYONE,
        REC,
        "recording.thumbnail",
        audited_for=PLAYERS,
    ),
    Endpoint(
        "page-case-info",
        "/recordings/{rec}/case-info",
        CASE_EDITORS,
        REC,
        "recording.edit",
        method="POST",
        ok=302,
    ),
    Endpoint("page-upload", "/upload/", UPLOADERS),
    Endpoint("page-batches", "/ingest/", ADMINS),
    Endpoint("page-batch", "/ingest/{batch}/", ADMINS, BATCH),
    Endpoint("page-quarantine", "/quarantine/", ADMINS),
    Endpoint("page-fixity", "/fixity/", FIXITY_VIEWERS),
    Endpoint(
        "page-fixity-acknowledge",
        "/fixity/alarms/{alarm}/acknowledge",
        ADMINS,
        ALARM,
        "fixity.acknowledge",
        method="POST",
        ok=302,
    ),
    Endpoint("page-policies", "/policies/", EVERYONE),
    Endpoint("page-policy", f"/policies/{CUSTOM}/", EVERYONE),
    Endpoint("page-policy-export", f"/policies/{CUSTOM}/export", EVERYONE),
    Endpoint("page-policy-calendar", "/policies/calendar", EVERYONE),
    Endpoint("page-policy-new", "/policies/new", POLICY_MANAGERS),
    Endpoint("page-policy-edit", f"/policies/{CUSTOM}/edit", POLICY_MANAGERS),
    Endpoint("page-policy-units", "/policies/units", POLICY_MANAGERS),
    Endpoint("page-activities", "/activities/", EVERYONE),
    Endpoint("page-activity-new", "/activities/new", ACTIVITY_RECORDERS),
    Endpoint("page-activity-import", "/activities/import", ADMINS),
    Endpoint("page-activity", "/activities/{act}/", EVERYONE, ACT),
    Endpoint(
        "page-activity-link",
        "/activities/{act}/link",
        ACTIVITY_RECORDERS,
        ACT,
        method="POST",
        ok=302,
    ),
    Endpoint(
        "page-activity-exemption",
        "/activities/{act}/exemption",
        frozenset(["officer"]),  # only the activity's own officers write its work record
        ACT,
        method="POST",
        ok=302,
    ),
    Endpoint(
        "page-activity-extension",
        "/activities/{act}/extension",
        ACKNOWLEDGERS,  # the unit head (or above); tongbai has no extension: refused politely
        ACT,
        method="POST",
        ok=302,
    ),
    Endpoint("page-findings", "/findings/", EVERYONE),
    Endpoint(
        "page-finding-explain",
        "/findings/{finding}/explain",
        frozenset(["officer"]),  # only the officer the finding is about
        FIND,
        method="POST",
        ok=302,
    ),
    Endpoint(
        "page-finding-acknowledge",
        "/findings/{finding}/acknowledge",
        ACKNOWLEDGERS,
        FIND,
        method="POST",
        ok=302,
    ),
    Endpoint(
        "page-exemption-decide",
        "/exemptions/{exemption}/decide",
        EXEMPTION_DECIDERS,
        EXEMPT,
        method="POST",
        ok=302,
    ),
    Endpoint("page-todo", "/todo/", EVERYONE),
    Endpoint("api-list", "/api/v1/recordings", EVERYONE),
    Endpoint("api-detail", "/api/v1/recordings/{rec}", EVERYONE, REC, "recording.view"),
    Endpoint("api-media", "/api/v1/recordings/{rec}/media", PLAYERS, REC, "recording.play"),
    Endpoint(
        "api-original", "/api/v1/recordings/{rec}/original", COPIERS, REC, "recording.download"
    ),
    Endpoint("api-upload", "/api/v1/recordings/uploads", UPLOADERS, method="POST", ok=201),
    Endpoint("api-batches", "/api/v1/ingest/batches", ADMINS),
    Endpoint("api-batch", "/api/v1/ingest/batches/{batch}", ADMINS, BATCH),
    Endpoint("api-quarantine", "/api/v1/quarantine", ADMINS),
    Endpoint("api-fixity-alarms", "/api/v1/fixity/alarms", FIXITY_VIEWERS),
    Endpoint("api-activities", "/api/v1/activities", EVERYONE),
    Endpoint("api-activity", "/api/v1/activities/{act}", EVERYONE, ACT),
    # Permission first: the permitted get as far as checking the (empty) body: 422.
    Endpoint(
        "api-activity-create", "/api/v1/activities", ACTIVITY_RECORDERS, method="POST", ok=422
    ),
    Endpoint("api-activity-import", "/api/v1/activities/import", ADMINS, method="POST", ok=422),
    Endpoint("api-findings", "/api/v1/findings", EVERYONE),
    Endpoint("api-todo", "/api/v1/todo", EVERYONE),
    Endpoint("api-policies", "/api/v1/policies", EVERYONE),
    Endpoint("api-policy", f"/api/v1/policies/{CUSTOM}", EVERYONE),
    Endpoint("api-policy-yaml", f"/api/v1/policies/{CUSTOM}/yaml", EVERYONE),
    Endpoint(
        "api-policy-due",
        f"/api/v1/policies/{CUSTOM}/ingest-due?ended_at=2026-09-30T18:00:00%2B08:00",
        EVERYONE,
    ),
    # The request body is the profile's own YAML: the upload is refused as invalid (422)
    # once past the permission check; the PUT saves it unchanged (200).
    Endpoint("api-policy-create", "/api/v1/policies", POLICY_MANAGERS, method="POST", ok=422),
    Endpoint("api-policy-replace", f"/api/v1/policies/{CUSTOM}", POLICY_MANAGERS, method="PUT"),
]
ENDPOINTS += EQUIPMENT
ENDPOINTS += ISSUE6
ENDPOINTS += RETENTION
ENDPOINTS += VIOLATIONS
ENDPOINTS += QUALITY_REVIEW
ENDPOINTS += CAMPAIGNS
ENDPOINTS += ACCOUNTS
ENDPOINTS += AUDIT_ANCHORS
ENDPOINTS += ASSIGNMENT
PAGES = [e for e in ENDPOINTS if not e.api]
APIS = [e for e in ENDPOINTS if e.api]


def expected_status(endpoint: Endpoint, who: str) -> int:
    """A recording (case, request…) outside one's scope does not exist, even for those who
    could not act on it; a batch or alarm needs the permission before it is looked up."""
    if endpoint.target in SEEN_BY and who not in SEEN_BY[endpoint.target]:
        return 404
    if who not in endpoint.allowed:
        return 403
    if (
        endpoint.target in SEEN_AFTER_PERMISSION
        and who not in SEEN_AFTER_PERMISSION[endpoint.target]
    ):
        return 404
    return endpoint.ok


# The PostgreSQL pass of `make test` tries one user per role and scope (the SQLite pass, run
# at the same time, tries all of them): the rules are the application's, the queries that
# enforce scope are what differ between the engines, and every kind of scope is still there.
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")
MATRIX_USERS = sorted(
    EVERYONE - {"officer2", "bureau_admin", "head2", "superuser"} if ON_POSTGRESQL else EVERYONE
)

ALLOWED = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in MATRIX_USERS
    if expected_status(e, who) == e.ok
]
FORBIDDEN = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in MATRIX_USERS
    if expected_status(e, who) == 403
]
HIDDEN = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in MATRIX_USERS
    if expected_status(e, who) == 404
]
AUDITED_ALLOWED = [p for p in ALLOWED if p.values[0].audits(p.values[1])]
STAND_IN = [p for p in ALLOWED if p.values[0].audit and not p.values[0].audits(p.values[1])]
AUDITED_REFUSED = [p for p in FORBIDDEN + HIDDEN if p.values[0].audit]


POST_DATA = {
    ACT: lambda w: {
        "recording": w.recording["squad1"],
        "ground": "device_fault",
        "reason": "设备故障无法开机",
        "basis": "000§13",
    },
    FIND: lambda w: {"reason": "device_fault", "text": "设备故障，重启后继续"},
    EXEMPT: lambda w: {"decision": "approve", "note": "同意"},
}


JSON_BODIES = {
    **ISSUE6_JSON,
    **RETENTION_JSON,
    **VIOLATION_JSON,
    **CAMPAIGN_JSON,
    **ASSIGNMENT_JSON,
}
FORM_BODIES = {
    **ISSUE6_POST,
    **RETENTION_POST,
    **VIOLATION_POST,
    **QUALITY_REVIEW_POST,
    **CAMPAIGN_POST,
}
# Objects whose POST needs no form fields.
EMPTY_POSTS = (CASE, CLOSED, REQ, APPROVED, EXPORT, HELD, DISPOSAL, SUBMITTED)


def send(client: Client, endpoint: Endpoint, world: World, squad: str = "squad1", **extra):
    url = endpoint.path.format(**world.ids(squad))
    if endpoint.name in JSON_BODIES:
        body = JSON_BODIES[endpoint.name](world)
        response = client.post(url, body, content_type="application/json", **extra)
    elif endpoint.name in FORM_BODIES:
        response = client.post(url, FORM_BODIES[endpoint.name](world), **extra)
    elif endpoint.method == "POST" and endpoint.target in EMPTY_POSTS:
        response = client.post(url, **extra)
    elif endpoint.name == "api-activity-create":  # well-formed, naming a unit nobody has
        body = {
            "unit": "NOSUCH",
            "kind": "on_site_inspection",
            "started_at": "2026-11-20T09:00:00+08:00",
            "ended_at": "2026-11-20T10:00:00+08:00",
            "officers": ["35020019001"],
        }
        response = client.post(url, body, content_type="application/json", **extra)
    elif endpoint.name == "api-activity-import":  # a file, but not a table
        upload = SimpleUploadedFile("现场照片.jpg", world.photo, content_type="image/jpeg")
        response = client.post(url, {"file": upload}, **extra)
    elif endpoint.name == "api-device-check-create":
        response = client.post(url, CHECK_BODY, content_type="application/json", **extra)
    elif endpoint.method == "POST" and endpoint.target == FLAG:
        response = client.post(url, {"note": "已按北京时间校准"}, **extra)
    elif endpoint.method == "POST" and endpoint.target == MDEV:
        response = client.post(url, DEVICE_POST[url.rsplit("/", 1)[1]], **extra)
    elif endpoint.method == "POST" and endpoint.target == CUST:
        response = client.post(url, {"names": "充电器"}, **extra)
    elif endpoint.method == "POST" and endpoint.target == CLR:
        response = client.post(url, {"reason": "调动取消"}, **extra)
    elif endpoint.method == "POST" and endpoint.target == EVT:
        response = client.post(url, **extra)
    elif endpoint.method == "POST" and endpoint.target in POST_DATA:
        response = client.post(url, POST_DATA[endpoint.target](world), **extra)
    elif endpoint.method == "POST" and endpoint.target == ALARM:
        response = client.post(url, {"note": "已核实"}, **extra)
    elif endpoint.method == "POST" and endpoint.target == REC:
        response = client.post(url, CASE_INFO, **extra)
    elif endpoint.method == "POST":
        upload = SimpleUploadedFile("现场照片.jpg", world.photo, content_type="image/jpeg")
        response = client.post(url, {"files": upload}, **extra)
    elif endpoint.method == "PUT":
        response = client.put(
            url, custom_profile_source(), content_type="application/yaml", **extra
        )
    else:
        response = client.get(url, **extra)
    if response.streaming:
        response.body = b"".join(response.streaming_content)  # closes it, too
    else:
        response.body = response.content
    return response


# --- the matrix -------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "who"), ALLOWED)
def test_it_lets_a_permitted_user_act_within_their_scope(world, endpoint, who):
    response = send(client_for(world.users[who]), endpoint, world)
    assert response.status_code == endpoint.ok
    assert response.body or response.status_code == 302


@pytest.mark.parametrize(("endpoint", "who"), FORBIDDEN)
def test_it_refuses_a_user_without_the_permission_with_403(world, endpoint, who):
    response = send(client_for(world.users[who]), endpoint, world)
    assert response.status_code == 403
    if endpoint.api:
        assert response.json()["detail"].startswith("无权")
    else:
        assert "无权访问" in response.body.decode()


GRANTED = [e for e in ENDPOINTS if e.audit in ("recording.play", "recording.download")]


@pytest.mark.parametrize("endpoint", GRANTED, ids=str)
def test_it_says_a_grant_is_needed_to_play_or_download_someone_elses_recording(world, endpoint):
    """An in-scope user without a live grant is told what to ask for (M3, M8)."""
    response = send(client_for(world.users["archivist"]), endpoint, world)
    assert response.status_code == 403
    reason = "无权下载原始文件" if endpoint.audit == "recording.download" else "无权播放"
    if endpoint.api:
        assert response.json()["detail"].startswith(reason)
    else:
        assert reason in response.body.decode()


@pytest.mark.parametrize(("endpoint", "who"), HIDDEN)
def test_it_answers_404_for_an_object_outside_the_users_scope(world, endpoint, who):
    response = send(client_for(world.users[who]), endpoint, world)
    assert response.status_code == 404


def audited_object(endpoint: Endpoint, world: World) -> tuple[str, str | None]:
    """(object type, id) the row's audit entry names; id None for an object it creates."""
    request = "access.accessrequest"
    return {
        CASE: ("cases.case", world.case),
        CLOSED: ("cases.case", world.closed),
        REQ: (request, world.request),
        APPROVED: (request, world.approved),
        EXPORT: (request, world.export),
        DISC: (request, world.preserve),  # a disc's entry names the preservation request
        ASK: (request, None),
        HOLD: ("retention.legalhold", world.hold),
        HELD: ("retention.legalhold", world.held),
        DISPOSAL: ("retention.disposallist", world.disposal),
        SUBMITTED: ("retention.disposallist", world.submitted),
        ITEM: ("recordings.recording", world.due),  # the review names the recording
        RECORD: ("retention.destructionrecord", world.record),
        CHANGE: ("recordings.recording", world.recording["squad2"]),
        **{
            target: (kind, getattr(world, name) if name else None)
            for target, (kind, name) in (
                VIOLATION_AUDITED | QUALITY_REVIEW_AUDITED | CAMPAIGN_AUDITED
            ).items()
        },
        None: ("", ""),  # a register export names no object
    }.get(endpoint.target, ("recordings.recording", world.recording["squad1"]))


# A recording's retention follows its facts (M5): an act that changes them (filing it with a
# case, a hold, a situation) reclassifies it, and the new date is audited apart, as a
# consequence of the act, not a second act.
CONSEQUENCES = ("retention.classify",)


@pytest.mark.parametrize(("endpoint", "who"), AUDITED_ALLOWED)
def test_it_records_each_permitted_act_once_in_the_audit_trail(world, endpoint, who):
    client = client_for(world.users[who])  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    send(client, endpoint, world)
    new = list(AuditEntry.objects.filter(seq__gt=before).exclude(action__in=CONSEQUENCES))
    object_type, object_id = audited_object(endpoint, world)
    assert [(e.action, e.actor_id, e.object_type) for e in new] == [
        (endpoint.audit, world.users[who].pk, object_type)
    ]
    if object_id is not None:
        assert new[0].object_id == str(object_id)


@pytest.mark.parametrize(("endpoint", "who"), STAND_IN)
def test_it_records_nothing_for_a_stand_in_answer(world, endpoint, who):
    """Allowed in scope but not to the thing itself (a thumbnail without a grant)."""
    client = client_for(world.users[who])  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = send(client, endpoint, world)
    assert response.status_code == endpoint.ok
    assert not AuditEntry.objects.filter(seq__gt=before, action=endpoint.audit).exists()


@pytest.mark.parametrize(("endpoint", "who"), AUDITED_REFUSED)
def test_it_never_records_a_refused_act_as_done(world, endpoint, who):
    client = client_for(world.users[who])  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = send(client, endpoint, world)
    assert response.status_code in (403, 404)
    refused = AuditEntry.objects.filter(seq__gt=before)
    assert not refused.filter(
        Q(action__startswith="recording.") | Q(action=endpoint.audit)
    ).exists()


@pytest.mark.parametrize("endpoint", [e for e in APIS if e.target == REC], ids=str)
def test_it_answers_out_of_scope_exactly_as_if_the_recording_did_not_exist(world, endpoint):
    client = client_for(world.users["other_officer"])
    hidden = client.get(endpoint.path.format(rec=world.recording["squad1"]))
    missing = client.get(endpoint.path.format(rec=NO_SUCH_ID))
    assert hidden.status_code == 404
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("endpoint", [e for e in PAGES if e.target == REC], ids=str)
def test_it_shows_the_same_not_found_page_for_hidden_and_missing_recordings(world, endpoint):
    client = client_for(world.users["other_officer"])
    hidden = client.get(endpoint.path.format(rec=world.recording["squad1"]))
    missing = client.get(endpoint.path.format(rec=NO_SUCH_ID))
    assert hidden.status_code == missing.status_code == 404
    assert "不在您的查看范围内" in hidden.content.decode()
    assert "不在您的查看范围内" in missing.content.decode()


# --- anonymous visitors -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", PAGES, ids=str)
def test_it_sends_an_anonymous_visitor_to_the_login_page(world, endpoint):
    url = endpoint.path.format(**world.ids())
    response = send(Client(), endpoint, world)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"


@pytest.mark.parametrize("endpoint", APIS, ids=str)
def test_it_answers_401_to_an_anonymous_api_call(world, endpoint):
    before = (Recording.objects.count(), AuditEntry.objects.count())
    response = send(Client(), endpoint, world)
    assert response.status_code == 401
    assert (Recording.objects.count(), AuditEntry.objects.count()) == before


# --- what lists show ----------------------------------------------------------------------


def _page_rows(world: World, html: str, kind: str) -> set[str]:
    markers = {
        "recordings": {"squad1": SQUAD1_NAME, "squad2": SQUAD2_NAME},
        "batches": {s: f'href="/ingest/{world.batch[s]}/"' for s in ("squad1", "squad2")},
        "quarantine": {"squad1": SQUAD1_BROKEN, "squad2": SQUAD2_BROKEN},
        "cases": CASE_NUMBERS,
    }[kind]
    return {squad for squad, marker in markers.items() if marker in html}


def _api_rows(world: World, body, kind: str) -> set[str]:
    # The bureau's own recordings (disposal, purge) and their batch are no squad's.
    if kind == "recordings":
        by_id = {v: k for k, v in world.recording.items()}
        return {by_id[row["id"]] for row in body["results"] if row["id"] in by_id}
    if kind == "batches":
        by_id = {v: k for k, v in world.batch.items()}
        return {by_id[row["id"]] for row in body if row["id"] in by_id}
    by_batch = {v: k for k, v in world.batch.items()}
    return {by_batch[row["batch_id"]] for row in body}


LISTS = [
    ("/recordings/", "recordings", RECORDING_SCOPE),
    ("/api/v1/recordings", "recordings", RECORDING_SCOPE),
    ("/ingest/", "batches", UNIT_SCOPE),
    ("/api/v1/ingest/batches", "batches", UNIT_SCOPE),
    ("/quarantine/", "quarantine", UNIT_SCOPE),
    ("/api/v1/quarantine", "quarantine", UNIT_SCOPE),
    ("/cases/", "cases", RECORDING_SCOPE),  # each squad's case holds its officer's recording
]
LIST_CASES = [
    pytest.param(path, kind, scope, who, id=f"{path}-{who}")
    for path, kind, scope in LISTS
    for who in sorted(EVERYONE)
    if kind in ("recordings", "cases") or who in ADMINS
]


@pytest.mark.parametrize(("path", "kind", "scope", "who"), LIST_CASES)
def test_it_lists_exactly_the_rows_in_the_users_scope(world, path, kind, scope, who):
    response = client_for(world.users[who]).get(path)
    assert response.status_code == 200
    seen = (
        _api_rows(world, response.json(), kind)
        if path.startswith("/api/")
        else _page_rows(world, response.content.decode(), kind)
    )
    assert seen == {squad for squad in ("squad1", "squad2") if who in scope[squad]}


# --- confidential items (M9) ----------------------------------------------------------------

REQUEST_PAGES = [
    "/access/{req}/",
    "/api/v1/access-requests/{req}",
    "/evidence/{pkg}/status",
    "/evidence/discs/{disc}/label.pdf",
]


@pytest.mark.parametrize("path", REQUEST_PAGES)
def test_it_hides_a_request_about_a_marked_recording_from_those_not_cleared(world, path):
    """A request names its recordings: once one is marked, only the cleared (and the requester)
    see the request, its package and its discs, as they alone see the recording."""
    from avrecords.access.secrecy import apply_mark

    apply_mark(Recording.objects.get(pk=world.recording["squad1"]), "commercial_secret")
    url = path.format(**world.ids())
    cleared = world.users["bureau_admin"]
    cleared.secrecy_clearances = ["commercial_secret"]
    cleared.save()
    for who, status in [("admin", 404), ("supervisor", 404), ("bureau_admin", 200)]:
        assert client_for(world.users[who]).get(url).status_code == status, who
    assert client_for(world.users["officer"]).get(url).status_code == 200  # his own request
    listed = client_for(world.users["admin"]).get("/api/v1/access-requests").json()
    assert world.request not in [r["id"] for r in listed]


# --- the matrix is complete ---------------------------------------------------------------


def _page_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name not in ("login", "logout", None):
                yield prefix + str(p.pattern)

    return set(walk(get_resolver().url_patterns))


def _any_ids(path: str) -> str:
    """A row's path with every object id filled in (any id: only the route matters here)."""
    return path.split("?")[0].format_map(defaultdict(lambda: "1"))


def _api_routes() -> dict[tuple[str, str], re.Pattern]:
    """(method, path template) of every API operation → what paths it serves."""
    routes = {}
    for template, operations in api.get_openapi_schema()["paths"].items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
        routes |= {(method.upper(), template): pattern for method in operations}
    return routes


def test_it_has_a_row_for_every_page():
    assert _page_routes() == {resolve(_any_ids(e.path)).route for e in PAGES}


def test_it_has_a_row_for_every_api_endpoint():
    routes = _api_routes()
    covered = {
        (method, template)
        for e in APIS
        for (method, template), pattern in routes.items()
        if method == e.method and pattern.fullmatch(_any_ids(e.path))
    }
    assert covered == set(routes)


# --- station scripts: HTTP Basic ----------------------------------------------------------


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_it_lets_a_station_script_list_recordings_with_http_basic_auth(world):
    script = Client(enforce_csrf_checks=True)
    response = script.get("/api/v1/recordings", **_basic("guanli", PASSWORD))
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [world.recording["squad1"]]


def test_it_lets_a_station_script_upload_with_http_basic_auth_and_no_csrf_token(world, library):
    script = Client(enforce_csrf_checks=True)
    upload = SimpleUploadedFile(m.WAV, (library / m.WAV).read_bytes())
    response = script.post(
        "/api/v1/recordings/uploads", {"files": upload}, **_basic("guanli", PASSWORD)
    )
    assert response.status_code == 201
    assert response.json()["files"][0]["outcome"] == "imported"


def test_it_answers_401_to_a_wrong_password(world):
    response = Client().get("/api/v1/recordings", **_basic("guanli", PASSWORD + "x"))
    assert response.status_code == 401
    assert "results" not in response.json()


def test_it_answers_401_to_a_deactivated_account(world):
    User.objects.filter(username="guanli").update(is_active=False)
    response = Client().get("/api/v1/recordings", **_basic("guanli", PASSWORD))
    assert response.status_code == 401


def test_it_does_not_let_basic_auth_open_web_pages(world):
    response = Client().get("/recordings/", **_basic("guanli", PASSWORD))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_still_demands_a_csrf_token_for_an_upload_from_a_browser_session(world, library):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["admin"])
    upload = SimpleUploadedFile(m.WAV, (library / m.WAV).read_bytes())
    response = browser.post("/api/v1/recordings/uploads", {"files": upload})
    assert response.status_code == 403
    assert not Recording.objects.filter(original_name=m.WAV).exists()
