"""Every row of the matrix, app by app (lowest layer first)."""

from __future__ import annotations

from tests.permissions import (
    rows_access,
    rows_agency_people,
    rows_agency_person,
    rows_agency_roles,
    rows_agency_roster,
    rows_agency_setup,
    rows_agency_two_factor,
    rows_agency_units,
    rows_api_tokens,
    rows_audit,
    rows_campaigns,
    rows_cases,
    rows_compliance,
    rows_equipment,
    rows_evidence,
    rows_notice,
    rows_notices,
    rows_org,
    rows_policies,
    rows_recordings,
    rows_redaction,
    rows_retention,
    rows_stations_api,
    rows_stations_pages,
    rows_supervision,
    rows_web_counts,
)
from tests.permissions.rules import Endpoint

ENDPOINTS: list[Endpoint] = [
    *rows_org.ROWS,
    *rows_notices.ROWS,
    *rows_web_counts.ROWS,
    *rows_audit.ROWS,
    *rows_policies.ROWS,
    *rows_equipment.ROWS,
    *rows_recordings.ROWS,
    *rows_compliance.ROWS,
    *rows_notice.ROWS,
    *rows_redaction.ROWS,
    *rows_cases.ROWS,
    *rows_access.ROWS,
    *rows_evidence.ROWS,
    *rows_retention.ROWS,
    *rows_supervision.ROWS,
    *rows_campaigns.ROWS,
    *rows_agency_roles.ROWS,
    *rows_agency_units.ROWS,
    *rows_agency_people.ROWS,
    *rows_agency_person.ROWS,
    *rows_agency_roster.ROWS,
    *rows_agency_setup.ROWS,
    *rows_agency_two_factor.ROWS,
    *rows_api_tokens.ROWS,
    *rows_stations_pages.ROWS,
    *rows_stations_api.ROWS,
]
PAGES = [e for e in ENDPOINTS if not e.api]
APIS = [e for e in ENDPOINTS if e.api]
