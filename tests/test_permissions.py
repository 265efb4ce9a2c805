"""X2 (first cut): who may open which page or call which endpoint, and what they may see.

One table row per endpoint; every stock user is tried against every row. A user's answer
follows from three facts kept in the tables below: which recordings and batches are in
their scope, which permission the endpoint needs, and whether it is an act on a recording
that the audit trail must record.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from avrecords.api import api
from avrecords.audit.models import AuditEntry
from avrecords.lib.storage import get_store
from avrecords.org.models import User
from avrecords.recordings.models import Recording
from tests import media as m
from tests.conftest import PASSWORD, client_for
from tests.permission_rules import (
    ACKNOWLEDGERS,
    ACT,
    ACTIVITY_RECORDERS,
    ADMINS,
    ALARM,
    BATCH,
    CASE_EDITORS,
    CASE_INFO,
    CHECK_BODY,
    CLR,
    CUST,
    DEV,
    DEVICE_POST,
    EQUIPMENT,
    EVERYONE,
    EVT,
    EXEMPT,
    EXEMPTION_DECIDERS,
    FIND,
    FIXITY_VIEWERS,
    FLAG,
    MDEV,
    PERSON,
    POLICY_MANAGERS,
    REC,
    RECORDING_SCOPE,
    SERIAL,
    UNIT_SCOPE,
    UPLOADERS,
    Endpoint,
)
from tests.permissions_world import (
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
    Endpoint("page-media", "/recordings/{rec}/media", EVERYONE, REC, "recording.play"),
    Endpoint("page-original", "/recordings/{rec}/original", ADMINS, REC, "recording.download"),
    Endpoint("page-thumbnail", "/recordings/{rec}/thumbnail", EVERYONE, REC),
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
    Endpoint("api-media", "/api/v1/recordings/{rec}/media", EVERYONE, REC, "recording.play"),
    Endpoint(
        "api-original", "/api/v1/recordings/{rec}/original", ADMINS, REC, "recording.download"
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
PAGES = [e for e in ENDPOINTS if not e.api]
APIS = [e for e in ENDPOINTS if e.api]


def expected_status(endpoint: Endpoint, who: str) -> int:
    """A recording outside one's scope does not exist, even for those who could not act on it;
    a batch or alarm needs the permission before anything about it is looked up."""
    hidden_unless_seen = (REC, ACT, FIND, EXEMPT, DEV, FLAG, PERSON)
    if endpoint.target in hidden_unless_seen and who not in RECORDING_SCOPE["squad1"]:
        return 404
    if endpoint.target == EVT and who not in UNIT_SCOPE["squad1"]:
        return 404
    if who not in endpoint.allowed:
        return 403
    if endpoint.target in (BATCH, ALARM, MDEV, CUST, CLR) and who not in UNIT_SCOPE["squad1"]:
        return 404
    return endpoint.ok


ALLOWED = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in sorted(EVERYONE)
    if expected_status(e, who) == e.ok
]
FORBIDDEN = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in sorted(EVERYONE)
    if expected_status(e, who) == 403
]
HIDDEN = [
    pytest.param(e, who, id=f"{e}-{who}")
    for e in ENDPOINTS
    for who in sorted(EVERYONE)
    if expected_status(e, who) == 404
]
AUDITED_ALLOWED = [p for p in ALLOWED if p.values[0].audit]
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


def send(client: Client, endpoint: Endpoint, world: World, squad: str = "squad1", **extra):
    url = endpoint.path.format(**world.ids(squad))
    if endpoint.name == "api-activity-create":  # well-formed, naming a unit nobody has
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


@pytest.mark.parametrize(("endpoint", "who"), HIDDEN)
def test_it_answers_404_for_an_object_outside_the_users_scope(world, endpoint, who):
    response = send(client_for(world.users[who]), endpoint, world)
    assert response.status_code == 404


@pytest.mark.parametrize(("endpoint", "who"), AUDITED_ALLOWED)
def test_it_records_each_view_play_and_download_once_in_the_audit_trail(world, endpoint, who):
    before = AuditEntry.objects.count()
    send(client_for(world.users[who]), endpoint, world)
    new = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in new] == [
        (
            endpoint.audit,
            world.users[who].pk,
            "recordings.recording",
            str(world.recording["squad1"]),
        )
    ]


@pytest.mark.parametrize(("endpoint", "who"), AUDITED_REFUSED)
def test_it_never_records_a_refused_act_as_done(world, endpoint, who):
    before = AuditEntry.objects.count()
    response = send(client_for(world.users[who]), endpoint, world)
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
    }[kind]
    return {squad for squad, marker in markers.items() if marker in html}


def _api_rows(world: World, body, kind: str) -> set[str]:
    if kind == "recordings":
        by_id = {v: k for k, v in world.recording.items()}
        return {by_id[row["id"]] for row in body["results"]}
    if kind == "batches":
        by_id = {v: k for k, v in world.batch.items()}
        return {by_id[row["id"]] for row in body}
    by_batch = {v: k for k, v in world.batch.items()}
    return {by_batch[row["batch_id"]] for row in body}


LISTS = [
    ("/recordings/", "recordings", RECORDING_SCOPE),
    ("/api/v1/recordings", "recordings", RECORDING_SCOPE),
    ("/ingest/", "batches", UNIT_SCOPE),
    ("/api/v1/ingest/batches", "batches", UNIT_SCOPE),
    ("/quarantine/", "quarantine", UNIT_SCOPE),
    ("/api/v1/quarantine", "quarantine", UNIT_SCOPE),
]
LIST_CASES = [
    pytest.param(path, kind, scope, who, id=f"{path}-{who}")
    for path, kind, scope in LISTS
    for who in sorted(EVERYONE)
    if kind == "recordings" or who in ADMINS
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


# --- the matrix is complete ---------------------------------------------------------------


def _page_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name not in ("login", "logout", None):
                yield "/" + prefix + str(p.pattern)

    names = {
        "<int:recording_id>": "{rec}",
        "<int:batch_id>": "{batch}",
        "<int:check_id>": "{alarm}",
        "<slug:code>": CUSTOM,
        "activities/<int:pk>": "activities/{act}",
        "findings/<int:pk>": "findings/{finding}",
        "exemptions/<int:pk>": "exemptions/{exemption}",
        "equipment/devices/<int:pk>": "equipment/devices/{dev}",
        "equipment/custody/<int:pk>": "equipment/custody/{cust}",
        "equipment/events/<int:pk>": "equipment/events/{evt}",
        "equipment/clearances/<int:pk>": "equipment/clearances/{clr}",
        "equipment/clock-flags/<int:pk>": "equipment/clock-flags/{flag}",
        "equipment/people/<int:pk>": "equipment/people/{person}",
    }
    routes = set()
    for route in walk(get_resolver().url_patterns):
        for old, new in names.items():
            route = route.replace(old, new)
        routes.add(route)
    return routes


def _api_routes() -> set[tuple[str, str]]:
    names = {
        "{recording_id}": "{rec}",
        "{batch_id}": "{batch}",
        "{code}": CUSTOM,
        "{activity_id}": "{act}",
        "{serial}": SERIAL,
    }
    routes = set()
    for path, operations in api.get_openapi_schema()["paths"].items():
        for old, new in names.items():
            path = path.replace(old, new)
        routes |= {(method.upper(), path) for method in operations}
    return routes


def test_it_has_a_row_for_every_page():
    assert _page_routes() == {e.path for e in PAGES}


def test_it_has_a_row_for_every_api_endpoint():
    assert _api_routes() == {(e.method, e.path.split("?")[0]) for e in APIS}


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
