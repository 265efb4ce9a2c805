"""X2: who may open which page or call which endpoint, and what they may see.

One row per page and API operation (tests/permissions/rows_<app>.py), tried with one user per
role and scope (`representatives`): each gets 403 without the permission, 404 for an object
outside his scope (exactly as if it did not exist), or the row's answer, and a permitted act
is audited exactly once (tests/permissions/matrix.py). The lists' scope is tried with every
stock user. The PostgreSQL pass runs one permitted and one out-of-scope user per row (the SQL
of every act and of every scope check), the lists and the clearance checks.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from avrecords.api import api
from avrecords.audit.models import AuditEntry
from avrecords.lib.storage import get_store
from avrecords.org.models import User
from avrecords.recordings.models import Recording
from tests import media as m
from tests.conftest import PASSWORD
from tests.permissions.matrix import assert_answers_as_the_rules_say, send
from tests.permissions.rows import APIS, ENDPOINTS, PAGES
from tests.permissions.rows_recordings import REC
from tests.permissions.rules import (
    ADMINS,
    EVERYONE,
    RECORDING_SCOPE,
    UNIT_SCOPE,
    expected_status,
    representatives,
)
from tests.permissions.world import (
    NO_SUCH_ID,
    SQUAD1_BROKEN,
    SQUAD1_NAME,
    SQUAD2_BROKEN,
    SQUAD2_NAME,
    World,
)
from tests.permissions.world_records import CASE_NUMBERS

# `world` and its module-scoped build are fixtures of tests/permissions/world.py (a plugin
# named in conftest); the store override below makes every test use the world's store.


@pytest.fixture(autouse=True)
def isolated_store(settings, world_dir):
    """Overrides conftest's: the module's one world keeps its originals in one store."""
    settings.AVRECORDS_STORE_PATH = world_dir / "store"
    settings.AVRECORDS_DERIVED_PATH = world_dir / "derived"
    get_store.cache_clear()
    yield settings.AVRECORDS_STORE_PATH
    get_store.cache_clear()


# --- the matrix -------------------------------------------------------------------------

MATRIX_USERS = representatives(ENDPOINTS)
ON_POSTGRESQL_TOO = pytest.mark.database_specific


def _cases(outcome) -> list:
    """(row, user) whose expected answer passes `outcome`; for each row, the first such user
    also runs in the PostgreSQL pass when the answer is the permitted one or a 404."""
    cases = []
    for endpoint in ENDPOINTS:
        first = True
        for who in MATRIX_USERS:
            status = expected_status(endpoint, who)
            if not outcome(endpoint, status):
                continue
            marks = [ON_POSTGRESQL_TOO] if first and status != 403 else []
            cases.append(pytest.param(endpoint, who, id=f"{endpoint}-{who}", marks=marks))
            first = False
    return cases


@pytest.mark.parametrize(("endpoint", "who"), _cases(lambda e, status: status == e.ok))
def test_it_lets_a_permitted_user_act_within_their_scope_and_audits_it_once(world, endpoint, who):
    assert_answers_as_the_rules_say(world, endpoint, who)


@pytest.mark.parametrize(("endpoint", "who"), _cases(lambda e, status: status == 403))
def test_it_refuses_a_user_without_the_permission_with_403(world, endpoint, who):
    assert_answers_as_the_rules_say(world, endpoint, who)


@pytest.mark.parametrize(("endpoint", "who"), _cases(lambda e, status: status == 404))
def test_it_answers_404_for_an_object_outside_the_users_scope(world, endpoint, who):
    assert_answers_as_the_rules_say(world, endpoint, who)


GRANTED = [e for e in ENDPOINTS if e.audit in ("recording.play", "recording.download")]


@pytest.mark.parametrize("endpoint", GRANTED, ids=str)
def test_it_says_a_grant_is_needed_to_play_or_download_someone_elses_recording(world, endpoint):
    """An in-scope user without a live grant is told what to ask for (M3, M8)."""
    response = send(world.client("archivist"), endpoint, world)
    assert response.status_code == 403
    reason = "无权下载原始文件" if endpoint.audit == "recording.download" else "无权播放"
    if endpoint.api:
        assert response.json()["detail"].startswith(reason)
    else:
        assert reason in response.body.decode()


@pytest.mark.parametrize("endpoint", [e for e in APIS if e.target == REC], ids=str)
def test_it_answers_out_of_scope_exactly_as_if_the_recording_did_not_exist(world, endpoint):
    client = world.client("other_officer")
    hidden = client.get(endpoint.path.format(rec=world.recording["squad1"]))
    missing = client.get(endpoint.path.format(rec=NO_SUCH_ID))
    assert hidden.status_code == 404
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("endpoint", [e for e in PAGES if e.target == REC], ids=str)
def test_it_shows_the_same_not_found_page_for_hidden_and_missing_recordings(world, endpoint):
    client = world.client("other_officer")
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
    pytest.param(path, kind, scope, who, id=f"{path}-{who}", marks=ON_POSTGRESQL_TOO)
    for path, kind, scope in LISTS
    for who in sorted(EVERYONE)
    if kind in ("recordings", "cases") or who in ADMINS
]


@pytest.mark.parametrize(("path", "kind", "scope", "who"), LIST_CASES)
def test_it_lists_exactly_the_rows_in_the_users_scope(world, path, kind, scope, who):
    response = world.client(who).get(path)
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


@ON_POSTGRESQL_TOO
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
        assert world.client(who).get(url).status_code == status, who
    assert world.client("officer").get(url).status_code == 200  # his own request
    listed = world.client("admin").get("/api/v1/access-requests").json()
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
