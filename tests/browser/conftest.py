"""Browser fixtures (issue 17 §8): Debian's Chromium driven by Playwright, against the demo
agency served by `avrecords serve` and `avrecords worker` in a home of their own
(tests/browser/site.py), each person signed in through the login page once per run.

Chromium or Playwright missing: the tests are skipped saying what to install, except under
CI=true, where that is a failure (`.ci/run` installs Chromium first). `make test` runs them
in a pass of their own (`-m browser`) after the PostgreSQL pass, beside the SQLite pass.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.site import (
    PEOPLES_BROWSER,
    WHAT_TO_INSTALL,
    DemoSite,
    find_chromium,
    launch,
    sign_in,
)
from tests.browser.walk import Walk

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _missing(what: str):
    message = f"{what}: {WHAT_TO_INSTALL}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    chromium = find_chromium()
    if chromium is None:
        _missing("no Chromium found")
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(browser, tmp_path_factory):
    """The demo agency, served; started once per run (after the browser is known to exist)."""
    demo = DemoSite(home=tmp_path_factory.mktemp("browser-site")).start()
    yield demo
    demo.stop()


@pytest.fixture(scope="session")
def signed_in(browser, site):
    """username -> storage state, each person signed in through the login page once."""
    states: dict[str, dict] = {}

    def state(username: str) -> dict:
        if username not in states:
            states[username] = sign_in(browser, site, username)
        return states[username]

    return state


@pytest.fixture
def person(browser, site, signed_in):
    """person("zhangwei", PHONE) -> a Walk on a new page of his, on the page he lands on."""
    contexts = []

    def open_as(username: str, viewport: dict = WIDE) -> Walk:
        context = browser.new_context(
            viewport=viewport,
            storage_state=signed_in(username),
            accept_downloads=True,
            **PEOPLES_BROWSER,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        walk = Walk(context.new_page(), base=site.url)
        walk.start(site.url + "/")
        return walk

    yield open_as
    for context in contexts:
        context.close()
