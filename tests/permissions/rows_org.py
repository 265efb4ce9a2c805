"""One's own account and sign-in locks (X2): everyone changes his own password; system
administrators see and lift sign-in locks. An unlock naming nothing is refused with a message
(302) and records nothing; the act itself and its audit entry are tested in
tests/test_login_security.py."""

from __future__ import annotations

from tests.permissions.rules import EVERYONE, POLICY_MANAGERS, Endpoint, post

UNLOCKERS = POLICY_MANAGERS

ROWS = [
    Endpoint("page-workbench", "/", EVERYONE),  # 工作台: each sees his own scope's figures
    Endpoint("page-search", "/search/?q=3501", EVERYONE),  # the top bar's search, scoped
    Endpoint("page-password-change", "/account/password/", EVERYONE),
    Endpoint("page-lockouts", "/account/lockouts/", UNLOCKERS),
    post("page-lockouts-unlock", "/account/lockouts/unlock", UNLOCKERS),
]
