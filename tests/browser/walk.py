"""A person's walk through the pages, counted: every click (a press of Enter that submits
counts as one), every field typed or chosen, every page the browser loads. The journeys of
issue 17 §8 report these counts (docs/journeys.md); `fits()` checks what a person would
notice first on a phone, a page wider than the screen."""

from __future__ import annotations

from dataclasses import dataclass, field

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (a failure when CI=true), saying what to install
    expect = None

# The longest a journey waits for the server or a background job (Playwright's unit: ms).
WAIT_MS = 15_000
if expect is not None:
    expect.set_options(timeout=WAIT_MS)


# An element the person can see: it has a size and lies within the window (an off-canvas menu
# is "visible" to Playwright but not to him).
ON_SCREEN = """e => { const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth }"""


# What reaches past the window's right edge, to name in a failure: boxes that do, and boxes
# whose content (a long file name) spills out of them.
WIDER_THAN_WINDOW = """() => [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    const spills = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'
      && r.left + e.scrollWidth > innerWidth;
    return r.right > innerWidth + 0.5 || spills;
  }).slice(-5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().replace(/ +/g, '.') : '')
    + ' «' + (e.textContent || '').trim().slice(0, 40) + '»')"""


@dataclass
class Counts:
    clicks: int = 0
    fields: int = 0
    pages: int = 0
    confirmations: int = 0
    visited: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.clicks} clicks, {self.fields} fields, {self.pages} pages"


class Walk:
    """Wraps a Playwright page; a journey calls these instead of the page's own methods."""

    def __init__(self, page, *, base: str = "", check_fit: bool = True) -> None:
        self.page = page
        self.base = base
        self.counts = Counts()
        self.check_fit = check_fit
        page.on("load", self._loaded)
        page.on("dialog", self._confirm)

    def _confirm(self, dialog) -> None:
        """site.js asks before an irreversible action: the person reads it and clicks 确定."""
        self.counts.clicks += 1
        self.counts.confirmations += 1
        dialog.accept()

    def _loaded(self, page) -> None:
        self.counts.pages += 1
        self.counts.visited.append(page.url)

    def start(self, url: str) -> None:
        """Where the person already is (the page after signing in): not counted."""
        self.page.goto(url)
        self.counts = Counts()
        self.fits()

    def home(self) -> None:
        """Back on the page he lands on (he signs in again later, say): not counted."""
        pages, visited = self.counts.pages, list(self.counts.visited)
        self.page.goto(self.base + "/")
        self.counts.pages, self.counts.visited = pages, visited

    def nav(self, name, via=None) -> None:
        """Goes where `name` leads the shortest way a person would: a link on the page in
        front of him or in the top bar, else the side menu's entry `name` (or `via`, then the
        link there)."""
        if self._on_screen(name) or (via is None and self._on_screen(name, within="header")):
            return
        self.menu(via or name)
        if via is not None and not self._on_screen(name):
            raise AssertionError(f"no link {name!r} on {self.page.url}")

    def _on_screen(self, name, within: str = "main") -> bool:
        for link in self.page.locator(within).get_by_role("link", name=name).all():
            if link.evaluate(ON_SCREEN):
                self.click(link)
                return True
        return False

    def menu(self, name) -> None:
        """An entry of the side menu (on a phone it is behind ☰, which is a click too)."""
        page = self.page
        entry = page.locator("#side-menu").get_by_role("link", name=name).first
        if not entry.evaluate(ON_SCREEN):
            self.click(page.locator("[data-menu-toggle]"))
        self.click(entry)

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

    def badge(self, name) -> int:
        """The count beside a side-menu entry (0 when none is shown), as the person sees it on
        his next page: the page is reloaded to read it, which the counts leave out, and the
        counts arrive after it (`/menu/counts`, issue 22)."""
        pages, visited = self.counts.pages, list(self.counts.visited)
        self.page.reload()
        self.counts.pages, self.counts.visited = pages, visited
        self.until("!!document.querySelector('#menu-counts[data-loaded]')")
        entry = self.page.locator("#side-menu a", has_text=name).first
        badge = entry.locator(".count-badge")
        return int(badge.text_content().strip()) if badge.count() else 0

    def fits(self) -> None:
        """No sideways scrolling: the page is no wider than the window."""
        if not self.check_fit:
            return
        page = self.page
        page.wait_for_load_state()
        wide = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        if wide > inner:
            culprits = page.evaluate(WIDER_THAN_WINDOW)
            raise AssertionError(f"{page.url} is {wide} px wide in a {inner} px window: {culprits}")


def until(page, script: str, timeout_ms: int = WAIT_MS):
    waited = 0
    while not (value := page.evaluate(script)):
        assert waited < timeout_ms, f"still false after {timeout_ms} ms: {script}"
        page.wait_for_timeout(50)
        waited += 50
    return value
