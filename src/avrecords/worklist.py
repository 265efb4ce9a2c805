"""One inbox: every pending task of every app, for exactly the people who can act on it
(issue 17 §3, X2).

Each app that creates work registers a *source*; the inbox page (待办), the menu's count and
the workbench (工作台) ask this registry and name no app. An app's `AppConfig.ready()` names
the module of its sources (`worklist.register_module("avrecords.access.worklist_sources")`),
whose `register()` this registry calls the first time anyone asks for the sources: their
queries import half the platform, which no command's start-up should pay (issue 22 §1).
That `register()` adds each source:

    worklist.register(
        "access.approve",                   # code; never shown
        group="待我审批的查阅、复制申请",     # the Chinese heading of the group
        order=30,
        tasks=lambda user: [worklist.Task(title=…, url=…, due=…, obj=r) for r in …],
        count=None,                         # optional faster count(user) -> int
        template="access/_task.html",       # optional snippet to act in place ({{ task }})
    )

A source answers for one person: it lists only what *that person* can act on now, deciding
through the approvals engine (`policies.approvals.why_not`) or the app's own rule, never by a
role name alone. A task leaves the inbox when the work is done because the source no longer
lists it; nothing is stored here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from avrecords.lib.deferred import DeferredModules


@dataclass(frozen=True)
class Task:
    """One thing a person must do: shown as `title` linking to `url`, due by `due`."""

    title: str
    url: str
    due: datetime | None = None
    detail: str = ""
    obj: Any = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.now()

    @property
    def overdue_by(self) -> timedelta | None:
        """How long past `due` (None when not overdue), shown in the unit that fits:
        "已逾期 25 分钟", "已逾期 3 天 1 小时" (`{{ task.overdue_by|overdue }}`)."""
        return timezone.now() - self.due if self.overdue else None


@dataclass(frozen=True)
class Source:
    name: str
    group: str
    order: int
    tasks: Callable[[Any], list[Task]]
    count: Callable[[Any], int] | None = None
    template: str | None = None

    def count_for(self, user) -> int:
        return self.count(user) if self.count else len(self.tasks(user))


@dataclass
class Group:
    """One source's tasks for one person, as the inbox page shows them."""

    source: Source
    tasks: list[Task] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.source.group

    @property
    def template(self) -> str | None:
        return self.source.template

    @property
    def anchor(self) -> str:
        """The group's id on the 待办 page (the workbench links to it): no dots."""
        return "g-" + self.source.name.replace(".", "-")


_SOURCES: dict[str, Source] = {}


_MODULES = DeferredModules()  # the apps' worklist_sources, imported on the first read


def register_module(path: str) -> None:
    """Name a module whose `register()` adds an app's sources, on first use of the sources."""
    _MODULES.add(path)


def register(
    name: str,
    *,
    group: str,
    tasks: Callable[[Any], list[Task]],
    order: int = 50,
    count: Callable[[Any], int] | None = None,
    template: str | None = None,
) -> Source:
    """Add (or replace: ready() may run more than once in tests) the source `name`."""
    source = Source(name, group, order, tasks, count, template)
    _SOURCES[name] = source
    return source


def unregister(name: str) -> None:
    _MODULES.load()
    _SOURCES.pop(name, None)


def sources() -> list[Source]:
    _MODULES.load()
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.name))


def groups_for(user, *, keep_empty: bool = False) -> list[Group]:
    """Every source's tasks for `user`, in order; empty groups left out unless asked."""
    if not getattr(user, "is_authenticated", False):
        return []
    out = [Group(s, list(s.tasks(user))) for s in sources()]
    return out if keep_empty else [g for g in out if g.tasks]


def counts_for(user) -> dict[str, int]:
    """Each source's count for `user`, asked once and cached on the user object for the
    request: the menu's 待办, its per-app badges (查阅复制, 保存期限) and the workbench all
    read these, so no source is asked twice for one page."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_worklist_counts", None)
    if cached is None:
        cached = {s.name: s.count_for(user) for s in sources()}
        user._worklist_counts = cached
    return cached


def count_for(user, app: str | None = None) -> int:
    """How many tasks wait for `user` (the number beside 待办), or only those of the
    sources named `app` or `app.…` (the badge beside that app's menu entry)."""
    counts = counts_for(user)
    if app is None:
        return sum(counts.values())
    return sum(n for name, n in counts.items() if name == app or name.startswith(f"{app}."))
