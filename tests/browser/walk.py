"""A person's walk through the pages, counted: every click (a press of Enter that submits
counts as one), every field typed or chosen, every page the browser loads. The journeys of
issue 17 §8 report these counts (docs/journeys.md); `fits()` checks what a person would
notice first on a phone, a page wider than the screen."""

from __future__ import annotations

from dataclasses import dataclass, field

# The longest a journey waits for the server or a background job (Playwright's unit: ms).
WAIT_MS = 15_000


@dataclass
class Counts:
    clicks: int = 0
    fields: int = 0
    pages: int = 0
    visited: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.clicks} clicks, {self.fields} fields, {self.pages} pages"


class Walk:
    """Wraps a Playwright page; a journey calls these instead of the page's own methods."""

    def __init__(self, page, *, check_fit: bool = True) -> None:
        self.page = page
        self.counts = Counts()
        self.check_fit = check_fit
        page.on("load", self._loaded)

    def _loaded(self, page) -> None:
        self.counts.pages += 1
        self.counts.visited.append(page.url)

    def start(self, url: str) -> None:
        """Where the person already is (the page after signing in): not counted."""
        self.page.goto(url)
        self.counts.pages = 0
        self.counts.visited.clear()
        self.fits()

    def click(self, locator) -> None:
        locator.click()
        self._settled()

    def download(self, locator):
        """A click that saves a file; returns Playwright's Download."""
        with self.page.expect_download(timeout=WAIT_MS) as info:
            locator.click()
        self.counts.clicks += 1
        return info.value

    def fill(self, locator, text: str) -> None:
        locator.fill(text)
        self.counts.fields += 1

    def choose(self, locator, **option) -> None:
        """A <select>: one field, whatever it takes (label= or value=)."""
        locator.select_option(**option)
        self.counts.fields += 1

    def pick_files(self, locator, files) -> None:
        """The file chooser: one click and one field."""
        locator.set_input_files(files)
        self.counts.clicks += 1
        self.counts.fields += 1

    def enter(self, locator) -> None:
        locator.press("Enter")
        self._settled()

    def _settled(self) -> None:
        self.counts.clicks += 1
        self.page.wait_for_load_state()
        self.fits()

    def until(self, script: str, timeout_ms: int = WAIT_MS):
        """Polls a JavaScript expression until it is truthy (the page's CSP forbids Playwright's
        own wait_for_function, which evaluates a string)."""
        return until(self.page, script, timeout_ms)

    def fits(self) -> None:
        """No sideways scrolling: the page is no wider than the window."""
        if not self.check_fit:
            return
        page = self.page
        page.wait_for_load_state()
        wide = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert wide <= inner, f"{page.url} is {wide} px wide in a {inner} px window"


def until(page, script: str, timeout_ms: int = WAIT_MS):
    waited = 0
    while not (value := page.evaluate(script)):
        assert waited < timeout_ms, f"still false after {timeout_ms} ms: {script}"
        page.wait_for_timeout(50)
        waited += 50
    return value
