"""Pages assembled from panels, and the rules a lower app asks of a higher one (issue 16 §6).

Apps sit in layers and a lower app never imports a higher one (`avrecords.events`). Two
things still need a higher app's word on a lower app's ground; both are declared here, at the
bottom, so that neither side names the other:

- **Panels.** A page that shows several apps' facts is assembled from panels that each app
  registers in its `AppConfig.ready()`; the page's own app renders each slot's panels in
  order and names none of them:

      panels.RECORDING.register("retention", slot="side", order=20, render=box)  # retention

      slots = panels.RECORDING.render(request, recording)        # in recordings.views
      # the template shows {{ slots.side }} where the boxes go

  A panel is `render(request, obj, *, errors, **extra) -> str` (HTML, usually
  `render_to_string(…, request=request)`; "" shows nothing). `errors` are the Chinese reasons
  a step of that panel's own was refused, shown in the panel (the page answers 400); the
  page passes them by panel name. `extra` is what the page documents for its slots.

- **Provided rules.** Where a lower app must ask before it acts — recordings before a byte of
  a recording leaves (access's grants), cases before it files an activity with a case
  (compliance's activities, a sibling) — the app that owns the rule provides it once, in its
  ready(), and the asking app calls it through the names below. A rule nobody provided is a
  configuration error (`LookupError`), never a silent yes.

Each page lists its slots and each rule its functions, so this file stays the truth.

An app's ready() names the module that registers its panels and provides its rules
(`panels.register_module("avrecords.access.panels")`); its `register()` runs the first time
any page or rule here is read, so no command's start-up imports what the panels render
(issue 22 §1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from avrecords.lib.deferred import DeferredModules

_MODULES = DeferredModules()  # the apps' panels modules, imported on the first read


def register_module(path: str) -> None:
    """Name a module whose `register()` adds an app's panels and provides its rules."""
    _MODULES.add(path)


@dataclass(frozen=True)
class Panel:
    name: str
    slot: str
    order: int
    render: Callable[..., str]


@dataclass(eq=False)
class Page:
    """A page made of panels: `slots` maps each slot to where it shows on the page."""

    name: str
    slots: dict[str, str]
    doc: str
    _panels: list[Panel] = field(default_factory=list, repr=False)

    def register(self, name: str, *, slot: str, render: Callable[..., str], order: int = 50):
        """Add (or replace: an app's ready() may run more than once in tests) the panel
        `name`; panels of a slot show by `order`, then by name."""
        if slot not in self.slots:
            raise ValueError(f"page {self.name}: no slot {slot!r} (slots: {list(self.slots)})")
        panels = [p for p in self._panels if p.name != name] + [Panel(name, slot, order, render)]
        self._panels = sorted(panels, key=lambda p: (p.order, p.name))
        return render

    def unregister(self, name: str) -> None:
        _MODULES.load()
        self._panels = [p for p in self._panels if p.name != name]

    @property
    def panels(self) -> list[Panel]:
        _MODULES.load()
        return list(self._panels)

    def render(
        self,
        request,
        obj,
        *,
        slots: tuple[str, ...] | None = None,
        errors: dict[str, list[str]] | None = None,
        **extra,
    ) -> dict[str, SafeString]:
        """The HTML of each slot in `slots` (all by default; an empty slot is ""), each of
        their panels rendered once, in order."""
        _MODULES.load()
        wanted = self.slots if slots is None else slots
        if unknown := [s for s in wanted if s not in self.slots]:
            raise ValueError(f"page {self.name}: no slots {unknown}")
        parts: dict[str, list[str]] = {slot: [] for slot in wanted}
        for panel in self._panels:
            if panel.slot not in parts:
                continue
            html = panel.render(request, obj, errors=(errors or {}).get(panel.name, []), **extra)
            if html:
                parts[panel.slot].append(conditional_escape(html))
        return {slot: mark_safe("".join(html)) for slot, html in parts.items()}


@dataclass(eq=False)
class Provided:
    """One rule a higher (or sibling) app provides: the functions named in `functions`."""

    name: str
    functions: tuple[str, ...]
    doc: str
    _impl: dict[str, Callable] = field(default_factory=dict, repr=False)

    def provide(self, **functions: Callable) -> None:
        missing = [f for f in self.functions if f not in functions]
        unknown = [f for f in functions if f not in self.functions]
        if missing or unknown:
            raise TypeError(f"rule {self.name}: missing {missing}, unknown {unknown}")
        self._impl = dict(functions)

    @property
    def provided(self) -> bool:
        _MODULES.load()
        return bool(self._impl)

    def __getattr__(self, attr: str) -> Callable:
        if attr.startswith("_") or attr not in self.functions:
            raise AttributeError(attr)
        _MODULES.load()
        if not self._impl:
            raise LookupError(f"rule {self.name}: no installed app provides it")
        return self._impl[attr]


# --- the pages ----------------------------------------------------------------------------

RECORDING = Page(
    "recording",
    {
        "no_player": "in the player card instead of the player, when the person may not play: "
        "how to ask for viewing",
        "player": "in the player card, under the player: the download, or how to ask for a "
        "copy or an export; the person's own requests",
        "secrecy": "after the 密级 value in the facts list (inline)",
        "case": "the 案件编号 value in the facts list (inline); empty shows the number typed "
        "on the recording",
        "side": "boxes in the side column, after the facts and the assignment box",
        "purged": "on the page of a purged recording (M5), after the purge notice's date "
        "(inline): its destruction record",
        "purged_facts": "on the page of a purged recording, rows (<dt>/<dd>) at the end of "
        "the facts list",
    },
    "The recording page (`recordings.views.render_detail`, `recordings/detail.html` and "
    "`recordings/tombstone.html`). `obj`: the Recording; `extra`: `may_play` (bool, the "
    "playback rule's answer, already asked).",
)

CASE = Page(
    "case",
    {
        "actions": "the buttons under the case's facts (inline, after 修改案卷信息)",
        "main": "sections after the case's recordings",
    },
    "The case page (`cases.views._detail`, `cases/detail.html`). `obj`: the Case; `extra`: "
    "`can_link` (bool: the person may file things with this open case), `link_url` and "
    "`unlink_url` (where the case page takes a POST naming what to file or take out: "
    "`activity=<id>`).",
)


# --- the provided rules -------------------------------------------------------------------

PLAYBACK = Provided(
    "playback",
    (
        "may_play",
        "may_download",
        "for_playback",
        "for_download",
        "register_playback",
        "register_download",
    ),
    "Whether a person may receive a recording's bytes, and where each delivery is registered "
    "(M3, M8); provided by access (`access.grants`), asked by recordings before every "
    "playback, thumbnail and download. `may_play(user, recording)`, "
    "`may_download(user, recording)` -> bool; `for_playback(user, recording)`, "
    "`for_download(user, recording)` -> the grant the delivery happens under, or raise "
    "PermissionError with the Chinese reason; `register_playback(grant, user, recording, ip, "
    "*, act='播放')`, `register_download(grant, user, recording, ip)` write the delivery to "
    "the register in the caller's transaction.",
)

CASE_ACTIVITIES = Provided(
    "case activities",
    ("visible", "recordings"),
    "The enforcement activities a case can hold (M10); provided by compliance, asked by cases "
    "to find, list and file activities. `visible(user)` -> the Activity queryset the person "
    "may see (X2, M9); `recordings(activity)` -> the Recording queryset linked to the "
    "activity (they follow it into the case).",
)

DEVICE_RECORDINGS = Provided(
    "device recordings",
    ("made_any",),
    "Whether any recording names a device (E1: a device that has recorded keeps its serial, "
    "which is part of the name of every file it wrote); provided by recordings "
    "(`recordings.usage`), asked by `equipment.registry` before a serial is changed. "
    "`made_any(device)` -> bool.",
)
