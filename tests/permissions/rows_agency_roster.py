"""人员名册 (issue 18 §3): those who manage people (system administrators; a unit's
administrator only where his profile allows it, which the world's does not) upload, confirm,
export and download. In the matrix nothing is previewed: an upload is a photo (422), a
confirmation or a password download with nothing waiting is sent back (302) and records
nothing; the acts themselves are tested in tests/test_agency_roster.py. Exports are audited."""

from __future__ import annotations

from tests.permissions.rows_recordings import photo_upload
from tests.permissions.rules import Endpoint, post

MANAGERS = frozenset(["sysadmin", "superuser"])  # agency.permissions.can_manage_people
EXPORT = "agency.roster_export"

ROWS = [
    Endpoint("page-agency-roster", "/agency/roster/", MANAGERS),
    Endpoint(
        "page-agency-roster-upload",
        "/agency/roster/",
        MANAGERS,
        method="POST",
        ok=422,
        body=lambda w: photo_upload(w, "file"),
    ),
    post("page-agency-roster-apply", "/agency/roster/apply", MANAGERS),
    post("page-agency-roster-passwords", "/agency/roster/passwords.xlsx", MANAGERS),
    Endpoint("page-agency-roster-xlsx", "/agency/roster/export.xlsx", MANAGERS, audit=EXPORT),
    Endpoint("page-agency-roster-csv", "/agency/roster/export.csv", MANAGERS, audit=EXPORT),
    Endpoint("page-agency-roster-template", "/agency/roster/template.xlsx", MANAGERS),
    Endpoint(
        "api-people-import",
        "/api/v1/people/import",
        MANAGERS,
        method="POST",
        ok=422,
        body=lambda w: photo_upload(w, "file"),
    ),
    Endpoint("api-people-export", "/api/v1/people/export?format=csv", MANAGERS, audit=EXPORT),
]
