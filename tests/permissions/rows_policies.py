"""Policy profiles (P1–P3): everyone reads them; system administrators make and change them."""

from __future__ import annotations

from tests.permissions.rows_recordings import photo_upload
from tests.permissions.rules import EVERYONE, POLICY_MANAGERS, Endpoint
from tests.permissions.world import CUSTOM, custom_profile_source

ROWS = [
    Endpoint("page-policies", "/policies/", EVERYONE),
    Endpoint("page-policy", f"/policies/{CUSTOM}/", EVERYONE),
    Endpoint("page-policy-export", f"/policies/{CUSTOM}/export", EVERYONE),
    Endpoint("page-policy-calendar", "/policies/calendar", EVERYONE),
    Endpoint("page-policy-new", "/policies/new", POLICY_MANAGERS),
    Endpoint("page-policy-edit", f"/policies/{CUSTOM}/edit", POLICY_MANAGERS),
    Endpoint("page-policy-units", "/policies/units", POLICY_MANAGERS),
    Endpoint("api-policies", "/api/v1/policies", EVERYONE),
    Endpoint("api-policy", f"/api/v1/policies/{CUSTOM}", EVERYONE),
    Endpoint("api-policy-yaml", f"/api/v1/policies/{CUSTOM}/yaml", EVERYONE),
    Endpoint(
        "api-policy-due",
        f"/api/v1/policies/{CUSTOM}/ingest-due?ended_at=2026-09-30T18:00:00%2B08:00",
        EVERYONE,
    ),
    # Permission first: the permitted get as far as checking the upload (a photo, not a
    # profile): 422. The PUT sends the profile's own YAML and saves it unchanged (200).
    Endpoint(
        "api-policy-create",
        "/api/v1/policies",
        POLICY_MANAGERS,
        method="POST",
        ok=422,
        body=photo_upload,
    ),
    Endpoint(
        "api-policy-replace",
        f"/api/v1/policies/{CUSTOM}",
        POLICY_MANAGERS,
        method="PUT",
        body=lambda w: custom_profile_source(),
        content_type="application/yaml",
    ),
]
