"""The pages an officer uses on a 390 px phone (issue 17 §4): each fits the screen, with no
sideways scrolling, and every field of its forms lies within it (a stacked form: the label
above the control, full width)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

# Controls reaching past the window's right edge, named for the failure.
CONTROLS_OFF_SCREEN = """() => [...document.querySelectorAll(
  'main input, main select, main textarea, main button')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5);
  }).map(e => e.tagName.toLowerCase() + '[name=' + (e.name || '') + '] ('
    + Math.round(e.getBoundingClientRect().right) + ' px)')"""

PAGES = [
    "/",  # 工作台
    "/todo/",
    "/messages/",
    "/recordings/",  # my recordings and the list's filters
    "/upload/",
    "/equipment/mine",
    "/activities/",
]


def fits_with_its_fields(walk) -> None:
    walk.fits()
    page = walk.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    assert page.evaluate(CONTROLS_OFF_SCREEN) == [], page.url


def test_the_officers_pages_fit_a_phone(person):
    walk = person("zhangwei", PHONE)
    for path in PAGES:
        walk.page.goto(walk.base + path)
        fits_with_its_fields(walk)


def test_the_pre_use_check_is_reached_from_my_devices_and_fits(person):
    walk = person("zhangwei", PHONE)
    walk.page.goto(walk.base + "/equipment/mine")
    walk.click(walk.page.locator("main").get_by_role("link", name="使用前检查").first)
    assert "/check" in walk.page.url
    fits_with_its_fields(walk)
    # stacked: each reading's label text sits above its control, not beside it
    for name in ("battery_percent", "free_storage_gb", "clock_offset_seconds"):
        control = walk.page.locator(f"input[name={name}]")
        label = control.locator("xpath=ancestor::label[1]")
        assert control.bounding_box()["y"] > label.bounding_box()["y"] + 10


def test_the_exemption_form_fits_and_fills_in_the_basis(person):
    walk = person("zhangwei", PHONE)
    page = walk.page
    page.goto(walk.base + "/activities/")
    walk.click(page.locator("main td a[href^='/activities/']").first)  # his activity
    fits_with_its_fields(walk)
    basis = page.locator("#exemption-basis")
    assert basis.input_value() == ""
    ground = page.locator("select[name=ground]")
    second = ground.locator("option").nth(1).get_attribute("value")
    walk.choose(ground, value=second)
    assert basis.input_value().startswith("《")
