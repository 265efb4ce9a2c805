"""Cases (M6): squad 1's open case holding 张伟's recording (CASE: seen as his recording is)
and a closed squad-1 case waiting to be filed, with no recordings (CLOSED: the unit roles)."""

from __future__ import annotations

from tests.permissions.rules import (
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

CASE = Target(
    "case", seen_by=RECORDING_SCOPE["squad1"], audited_as="cases.case", audited_id=lambda w: w.case
)
CLOSED = Target(
    "closed_case",
    seen_by=UNIT_SCOPE["squad1"],
    audited_as="cases.case",
    audited_id=lambda w: w.closed,
)
CASE_MANAGERS = ADMINS | HEADS | {"leader"}  # open, edit, link, close (cases.services)
CASE_FILERS = ADMINS | {"archivist"}  # 归档

ROWS = [
    Endpoint("page-cases", "/cases/", EVERYONE),
    Endpoint("page-case-new", "/cases/new", CASE_MANAGERS),
    Endpoint("page-case", "/cases/{case}/", EVERYONE, CASE, "case.view"),
    Endpoint("page-case-edit", "/cases/{case}/edit", CASE_MANAGERS, CASE),
    post("page-case-close", "/cases/{case}/close", CASE_MANAGERS, CASE, audit="case.close"),
    post("page-case-file", "/cases/{closed}/file", CASE_FILERS, CLOSED, audit="case.file"),
    # the seizure joins the case; the recording leaves it
    post(
        "page-case-link",
        "/cases/{case}/link",
        CASE_MANAGERS,
        CASE,
        audit="case.link_activity",
        body=lambda w: {"activity": w.activity},
    ),
    post(
        "page-case-unlink",
        "/cases/{case}/unlink",
        CASE_MANAGERS,
        CASE,
        audit="case.unlink",
        body=lambda w: {"recording": w.recording["squad1"]},
    ),
    Endpoint("api-cases", "/api/v1/cases", EVERYONE),
    # Permission first: the permitted get as far as the unit, which nobody has: 422.
    api_post(
        "api-case-create",
        "/api/v1/cases",
        CASE_MANAGERS,
        ok=422,
        body=lambda w: {
            "number": "桐市监罚〔2026〕99号",
            "title": "某超市销售不合格商品案",
            "case_type": "penalty",
            "unit": "NOSUCH",
            "opened_on": "2026-11-20",
        },
    ),
    Endpoint("api-case", "/api/v1/cases/{case}", EVERYONE, CASE, "case.view"),
    api_post(
        "api-case-close", "/api/v1/cases/{case}/close", CASE_MANAGERS, CASE, audit="case.close"
    ),
    api_post(
        "api-case-file", "/api/v1/cases/{closed}/file", CASE_FILERS, CLOSED, audit="case.file"
    ),
    # the recording is in the case already: nothing added, nothing audited
    api_post(
        "api-case-link",
        "/api/v1/cases/{case}/recordings",
        CASE_MANAGERS,
        CASE,
        body=lambda w: {"recordings": [w.recording["squad1"]]},
    ),
]
