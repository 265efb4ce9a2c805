"""Pages assembled from panels and rules provided from above (issue 16 §6, `avrecords.panels`),
and which app fills which part: the recording page names no app above recordings, the case
page neither compliance nor access; the apps above say what they know through events."""

from __future__ import annotations

import pytest
from django.utils.safestring import mark_safe

from avrecords import events, panels


def _page() -> panels.Page:
    return panels.Page("test", {"top": "first", "side": "second"}, "a page for this test")


def test_a_slot_shows_its_panels_in_order_and_hands_each_its_own_errors():
    page = _page()
    seen = []

    def panel(text):
        def render(request, obj, *, errors, **extra):
            seen.append((text, errors, extra))
            return mark_safe(f"<{text}>")

        return render

    page.register("late", slot="top", order=90, render=panel("late"))
    page.register("early", slot="top", order=10, render=panel("early"))
    page.register("aside", slot="side", render=panel("aside"))
    page.register("nothing", slot="side", order=99, render=lambda request, obj, **_: "")
    out = page.render(None, "obj", errors={"late": ["不行"]}, flag=True)
    assert out == {"top": "<early><late>", "side": "<aside>"}
    assert seen == [  # each panel once, by order across the page
        ("early", [], {"flag": True}),
        ("aside", [], {"flag": True}),
        ("late", ["不行"], {"flag": True}),
    ]


def test_only_the_slots_asked_for_are_rendered_and_plain_text_is_escaped():
    page = _page()
    page.register("a", slot="top", render=lambda request, obj, **_: "<b>王芳</b>")
    page.register("b", slot="side", render=lambda request, obj, **_: pytest.fail("not asked"))
    assert page.render(None, None, slots=("top",)) == {"top": "&lt;b&gt;王芳&lt;/b&gt;"}
    with pytest.raises(ValueError, match="no slots"):
        page.render(None, None, slots=("footer",))
    with pytest.raises(ValueError, match="no slot 'footer'"):
        page.register("c", slot="footer", render=lambda request, obj, **_: "")


def test_registering_a_name_again_replaces_the_panel():
    page = _page()
    page.register("a", slot="top", render=lambda request, obj, **_: "one")
    page.register("a", slot="top", render=lambda request, obj, **_: "two")
    assert page.render(None, None)["top"] == "two"
    page.unregister("a")
    assert page.render(None, None)["top"] == ""


def test_a_rule_must_be_provided_whole_and_is_never_a_silent_yes():
    rule = panels.Provided("test rule", ("allowed",), "for this test")
    with pytest.raises(LookupError, match="no installed app provides it"):
        rule.allowed("王芳")
    with pytest.raises(TypeError, match=r"missing \['allowed'\], unknown \['other'\]"):
        rule.provide(other=lambda user: True)
    rule.provide(allowed=lambda user: user == "王芳")
    assert rule.allowed("王芳") and not rule.allowed("张伟")
    with pytest.raises(AttributeError):
        rule.other  # noqa: B018


def _names(page: panels.Page, slot: str) -> list[str]:
    return [p.name for p in page.panels if p.slot == slot]


def test_the_installed_apps_fill_the_recording_and_case_pages():
    assert panels.PLAYBACK.provided and panels.CASE_ACTIVITIES.provided
    assert _names(panels.RECORDING, "no_player") == ["access.ask"]
    assert _names(panels.RECORDING, "player") == ["access"]
    assert _names(panels.RECORDING, "secrecy") == ["access.mark"]
    assert _names(panels.RECORDING, "case") == ["cases"]
    assert _names(panels.RECORDING, "side") == [
        "compliance",
        "retention",
        "redaction",  # 脱敏副本 (issue 21 §3)
    ]  # 合规问题 first (issue 17 §4)
    assert _names(panels.RECORDING, "purged") == ["retention.record"]
    assert _names(panels.RECORDING, "purged_facts") == ["retention.record_facts"]
    assert _names(panels.CASE, "actions") == ["access"]
    assert _names(panels.CASE, "main") == ["compliance"]


def _listeners(event: events.Event) -> set[str]:
    return {r.__module__ for r in event.receivers}


def test_the_apps_above_listen_to_what_compliance_cases_and_access_tell():
    assert _listeners(events.ACTIVITY_CHANGED) >= {"avrecords.retention.subscribers"}
    assert _listeners(events.ACTIVITY_LINKS_CHANGED) >= {
        "avrecords.access.subscribers",
        "avrecords.retention.subscribers",
    }
    assert _listeners(events.RECORDING_EVALUATED) >= {"avrecords.retention.subscribers"}
    assert _listeners(events.CASE_CHANGED) >= {
        "avrecords.compliance.subscribers",
        "avrecords.access.subscribers",
        "avrecords.retention.subscribers",
    }
    # evidence builds the package before retention reclassifies, as the code did in one place
    assert [r.__module__ for r in events.REQUEST_EXECUTED.receivers][:2] == [
        "avrecords.evidence.subscribers",
        "avrecords.retention.subscribers",
    ]
