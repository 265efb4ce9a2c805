"""The menu's counts (issue 22): every signed-in person asks them for his own menu, on every
page after it has loaded (`/menu/counts`); nothing is audited."""

from __future__ import annotations

from tests.permissions.rules import EVERYONE, Endpoint

ROWS = [
    Endpoint("page-menu-counts", "/menu/counts", EVERYONE),
]
