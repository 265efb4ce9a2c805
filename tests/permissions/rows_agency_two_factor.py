"""Two-factor sign-in (issue 18 §5). One's own pages are everyone's: in the world nobody is
enrolled and no role must (the test settings), so the code page sends him on, a code checked
against no device is refused on the page, and new recovery codes or disabling are refused
with a message (302), none of them audited. Resetting another person's second factor is for
system administrators; the act is audited even when he had none (the enrolled cases, and the
refusal for oneself, are tests/test_two_factor.py's)."""

from __future__ import annotations

from tests.permissions.rules import EVERYONE, POLICY_MANAGERS, Endpoint, Target, post

RESETTERS = POLICY_MANAGERS
PERSON = Target("person-two-factor", audited_as="org.user", audited_id=lambda w: w.person)
NOT_A_CODE = {"token": "abc"}

ROWS = [
    Endpoint("page-two-factor", "/account/two-factor/", EVERYONE),
    Endpoint("page-two-factor-enrol", "/account/two-factor/enrol", EVERYONE),
    Endpoint(
        "page-two-factor-enrol-confirm",
        "/account/two-factor/enrol",
        EVERYONE,
        method="POST",
        ok=400,
        body=lambda w: NOT_A_CODE,
    ),
    Endpoint("page-two-factor-verify", "/login/two-factor/", EVERYONE, ok=302),
    post("page-two-factor-verify-code", "/login/two-factor/", EVERYONE, body=lambda w: NOT_A_CODE),
    Endpoint("page-two-factor-codes", "/account/two-factor/recovery-codes", EVERYONE),
    post(
        "page-two-factor-codes-new",
        "/account/two-factor/recovery-codes",
        EVERYONE,
        body=lambda w: NOT_A_CODE,
    ),
    Endpoint(
        "page-two-factor-codes-text", "/account/two-factor/recovery-codes.txt", EVERYONE, ok=302
    ),
    post("page-two-factor-codes-done", "/account/two-factor/recovery-codes/done", EVERYONE),
    post("page-two-factor-disable", "/account/two-factor/disable", EVERYONE),
    Endpoint(
        "page-two-factor-reset", "/agency/people/{person}/two-factor/reset", RESETTERS, PERSON
    ),
    post(
        "page-two-factor-reset-do",
        "/agency/people/{person}/two-factor/reset",
        RESETTERS,
        PERSON,
        audit="agency.two_factor_reset",
    ),
]
