"""Issue 15, rows 12, 14 and 16: odd input, cross-site Basic requests and the API's own
description of its errors.

Row 12: huge numbers, unknown values and very long searches are refused in Chinese (422 on the
API, a 400 page) or read as "nothing matches", never a 500 nor a false "数据库暂时不可用".
Row 14: HTTP Basic only with a JSON body (multipart for uploads), and no Basic challenge a
browser would answer with a password prompt.
Row 16: one name per schema, JSON errors on every /api/ path, every status declared (X4: the
messages are Chinese).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import typing

import psycopg
import pytest
from django.db import DataError, InterfaceError, OperationalError
from django.test import Client
from pydantic import BaseModel

from avrecords.api import PAGE_NUMBER_MAX, api
from avrecords.cases.models import Case
from avrecords.web.input_limits import QUERY_VALUE_MAX_CHARS, InputLimitsMiddleware
from avrecords.web.middleware import DATABASE_DOWN_MESSAGE, is_database_unavailable
from tests.conftest import PASSWORD

HUGE = "99999999999999999999999"  # past 64 bits
API_LISTS = [
    "/api/v1/recordings",
    "/api/v1/ingest/batches",
    "/api/v1/quarantine",
    "/api/v1/fixity/alarms",
    "/api/v1/activities",
    "/api/v1/findings",
    "/api/v1/access-requests",
    "/api/v1/cases",
    "/api/v1/holds",
    "/api/v1/disposals",
    "/api/v1/destruction-records",
    "/api/v1/campaigns",
    "/api/v1/supervision/review/activities",
    "/api/v1/violations",
]
PAGES = [
    "/recordings/",
    "/activities/",
    "/findings/",
    "/access/",
    "/cases/",
    "/equipment/devices/",
    "/supervision/campaigns/",
    "/supervision/violations/",
    "/retention/records/",
]


def _basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _answering(user) -> Client:
    """A signed-in client that gets a server error as its response instead of raising it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _is_json(response) -> bool:
    return response["Content-Type"].startswith("application/json")


# --- row 12: huge numbers, unknown values, long searches --------------------------------------


@pytest.mark.database_specific  # numbers and values past the engine's limits
@pytest.mark.parametrize("path", API_LISTS)
def test_a_page_number_past_the_limit_is_a_chinese_422_naming_page(org, path):
    response = _answering(org.sysadmin).get(f"{path}?page={HUGE}")
    assert response.status_code == 422 and _is_json(response)
    assert response.json()["detail"] == "参数无效：page"
    last = _answering(org.sysadmin).get(f"{path}?page={PAGE_NUMBER_MAX}")
    assert last.status_code in (200, 403)  # the last page allowed is simply empty


@pytest.mark.database_specific  # numbers and values past the engine's limits
def test_a_huge_id_in_a_filter_is_refused_in_chinese_or_matches_nothing(org):
    # SQLite cannot take the number (refused); PostgreSQL compares it and finds no row.
    api_answer = _answering(org.admin).get(f"/api/v1/recordings?officer={HUGE}")
    assert _is_json(api_answer)
    if api_answer.status_code == 200:
        assert api_answer.json()["results"] == []
    else:
        assert api_answer.status_code == 422
        assert api_answer.json()["detail"] == "参数无效：数值或内容超出允许范围"
    page = _answering(org.admin).get(f"/recordings/?officer={HUGE}")
    assert page.status_code in (200, 400)
    if page.status_code == 400:
        assert "数值或内容超出允许范围" in page.content.decode()


@pytest.mark.database_specific  # numbers and values past the engine's limits
def test_an_unknown_unit_in_the_recording_filter_lists_nothing(org):
    for unit in ("999", HUGE):
        response = _answering(org.admin).get(f"/recordings/?unit={unit}")
        assert response.status_code == 200, unit


@pytest.mark.database_specific  # numbers and values past the engine's limits
def test_huge_ids_in_paths_are_not_found(org):
    page = _answering(org.admin).get(f"/recordings/{HUGE}/")
    assert page.status_code == 404 and "未找到" in page.content.decode()
    answer = _answering(org.admin).get(f"/api/v1/recordings/{HUGE}")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "记录不存在或不在您的权限范围内"}


def test_a_search_of_100000_characters_is_refused_in_chinese_not_called_a_database_outage(org):
    long_q = "执" * 100_000
    page = _answering(org.admin).get("/recordings/", {"q": long_q})
    body = page.content.decode()
    assert page.status_code == 400
    assert f"最多 {QUERY_VALUE_MAX_CHARS} 个字" in body and DATABASE_DOWN_MESSAGE not in body
    answer = _answering(org.admin).get("/api/v1/recordings", {"q": long_q})
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"参数无效：q（最多 {QUERY_VALUE_MAX_CHARS} 个字）"


def test_a_search_of_200_characters_is_still_answered(org):
    q = "执" * QUERY_VALUE_MAX_CHARS
    assert _answering(org.admin).get("/recordings/", {"q": q}).status_code == 200
    assert _answering(org.admin).get("/api/v1/recordings", {"q": q}).status_code == 200


@pytest.mark.database_specific  # numbers and values past the engine's limits
@pytest.mark.parametrize("path", PAGES)
def test_odd_filter_values_on_list_pages_never_give_a_server_error(org, path):
    client = _answering(org.bureau_admin)
    for query in (
        {"page": HUGE},
        {"kind": "不存在的种类", "status": "不存在", "type": "x", "state": "x"},
        {"unit": HUGE, "officer": HUGE, "device": HUGE},
        {"date_from": "2026-99-99", "from": HUGE, "date": HUGE},
        {"q": "x" * (QUERY_VALUE_MAX_CHARS + 1)},
    ):
        response = client.get(path, query)
        assert response.status_code in (200, 400, 403), (path, query, response.status_code)
        assert DATABASE_DOWN_MESSAGE not in response.content.decode()


def test_a_value_the_database_cannot_hold_is_the_request_s_fault(org, rf):
    middleware = InputLimitsMiddleware(lambda request: None)
    for error in (
        DataError("bigint out of range"),
        OverflowError("Python int too large to convert to SQLite INTEGER"),
        ValueError("A string literal cannot contain NUL (0x00) characters."),
    ):
        answer = middleware.process_exception(rf.post("/api/v1/cases"), error)
        assert answer.status_code == 422
        assert json.loads(answer.content)["detail"] == "参数无效：数值或内容超出允许范围"
        page_request = rf.post("/cases/new")
        page_request.user = org.admin
        page = middleware.process_exception(page_request, error)
        assert page.status_code == 400 and "数值或内容超出允许范围" in page.content.decode()
    assert middleware.process_exception(rf.get("/cases/"), RuntimeError("a bug")) is None
    assert middleware.process_exception(rf.get("/cases/"), ValueError("other")) is None


def test_only_an_unreachable_database_is_called_unavailable():
    def wrapped(cause: Exception) -> OperationalError:
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error

    refused = psycopg.errors.StatementTooComplex("stack depth limit exceeded")
    assert not is_database_unavailable(
        wrapped(sqlite3.OperationalError("LIKE or GLOB pattern too complex"))
    )
    assert not is_database_unavailable(wrapped(refused))
    assert not is_database_unavailable(DataError("bigint out of range"))
    assert not is_database_unavailable(OverflowError("Python int too large"))
    assert is_database_unavailable(wrapped(sqlite3.OperationalError("database is locked")))
    assert is_database_unavailable(wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert is_database_unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert is_database_unavailable(InterfaceError("connection already closed"))


# --- row 14: Basic only with JSON, and no browser prompt ---------------------------------------


def _case(number: str) -> dict:
    return {
        "number": number,
        "title": "某超市销售过期食品案",
        "case_type": "penalty",
        "unit": "T350200-01",
        "opened_on": "2026-03-02",
    }


def test_a_basic_authenticated_text_plain_post_is_refused_415_and_changes_nothing(org):
    client = Client(raise_request_exception=False)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(
            "/api/v1/cases",
            data=json.dumps(_case("罚〔2026〕1号")),
            content_type=content_type,
            **_basic(org.admin.username),
        )
        assert response.status_code == 415, content_type
        assert "请求内容应为 JSON" in response.json()["detail"]
    assert not Case.objects.exists()
    accepted = client.post(
        "/api/v1/cases",
        data=json.dumps(_case("罚〔2026〕1号")),
        content_type="application/json",
        **_basic(org.admin.username),
    )
    assert accepted.status_code == 201
    assert Case.objects.count() == 1


def test_a_basic_authenticated_post_without_a_body_must_still_say_json(org):
    client = Client(raise_request_exception=False)
    bare = client.generic("POST", "/api/v1/campaigns/1/draw", **_basic(org.admin.username))
    assert bare.status_code == 415
    said_json = client.post(
        "/api/v1/campaigns/1/draw", content_type="application/json", **_basic(org.admin.username)
    )
    assert said_json.status_code in (403, 404)  # the operation's own answer, not 415


def test_a_basic_authenticated_upload_may_be_multipart(org):
    response = Client(raise_request_exception=False).post(
        "/api/v1/recordings/uploads", data={"note": "无文件"}, **_basic(org.officer.username)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "没有收到文件"


def test_a_session_post_is_still_guarded_by_csrf_not_by_content_type(org):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(org.admin)
    response = client.post(
        "/api/v1/cases", data=json.dumps(_case("罚〔2026〕2号")), content_type="text/plain"
    )
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_no_basic_challenge_is_sent_to_a_client_that_sent_no_credentials(org):
    anonymous = Client().get("/api/v1/recordings")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "未登录或用户名、密码错误"}
    assert "WWW-Authenticate" not in anonymous
    wrong = Client().get("/api/v1/recordings", **_basic(org.officer.username, "wrong-password"))
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Basic ")


# --- row 16: schema names, JSON errors everywhere, every status declared ------------------------


def _models_in(annotation, found: set) -> None:
    for arg in typing.get_args(annotation):
        _models_in(arg, found)
    if (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation not in found
    ):
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)


def _operations():
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            yield from path_view.operations


def test_every_schema_name_belongs_to_one_class():
    found: set[type] = set()
    for operation in _operations():
        for model in operation.models:
            _models_in(model, found)
        for model in operation.response_models.values():
            if isinstance(model, type):
                _models_in(model, found)
    by_name: dict[str, set[str]] = {}
    for model in found:
        if model.__module__.startswith("avrecords."):
            by_name.setdefault(model.__name__, set()).add(
                f"{model.__module__}.{model.__qualname__}"
            )
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}
    assert "SampleFindingOut" in by_name and "FindingOut" in by_name


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/recordings/abc"),
        ("get", "/api/v1/holds/null,null"),
        ("post", "/api/v1/violations/1.5/confirm"),
        ("get", "/api/v1/no/such/thing"),
    ],
)
def test_unmatched_api_paths_answer_a_chinese_json_404(org, method, path):
    response = getattr(_answering(org.admin), method)(path)
    assert response.status_code == 404 and _is_json(response)
    assert response.json() == {"detail": "记录不存在或不在您的权限范围内"}


def test_a_wrong_method_answers_json_405_with_allow(org):
    response = _answering(org.admin).delete("/api/v1/recordings")
    assert response.status_code == 405 and _is_json(response)
    assert response.json() == {"detail": "该地址不支持此请求方法"}
    assert "GET" in response["Allow"]


def test_an_unparseable_body_is_a_declared_400(org):
    response = Client(raise_request_exception=False).post(
        "/api/v1/cases", data="{不是 JSON", content_type="application/json", **_basic("guanli")
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容无法解析：应为 JSON"}
    declared = api.get_openapi_schema(path_prefix="/api/v1")["paths"]["/api/v1/cases"]["post"]
    assert "400" in {str(s) for s in declared["responses"]}


def test_every_operation_declares_the_errors_any_request_can_meet():
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"401", "403", "422", "429", "503"}
            if "{" in path:
                expected.add("404")
            if method != "get":
                expected |= {"400", "413", "415"}
            declared = set(operation["responses"])
            if expected - declared:
                missing.append((method, path, sorted(expected - declared)))
            for status in expected:
                content = operation["responses"][status].get("content", {})
                assert "application/json" in content, (method, path, status)
    assert missing == []
