"""Modules named for a registry and imported on its first read (issue 22 §1).

The 待办 sources (`avrecords.worklist`) and the page panels and provided rules
(`avrecords.panels`) are filled by each app's `register()`; an app's `ready()` only names
the module, so no command's start-up imports what the registries' queries and panels need.
"""

from __future__ import annotations

import threading
from importlib import import_module


class DeferredModules:
    """The modules named for one registry and not yet imported."""

    def __init__(self) -> None:
        self._paths: list[str] = []
        self._lock = threading.RLock()  # a register() may name another module

    def add(self, path: str) -> None:
        """Name a module whose `register()` fills the registry, on its first read."""
        with self._lock:
            if path not in self._paths:
                self._paths.append(path)

    def load(self) -> None:
        # a path leaves the list only after its register() ran, so an empty list means all
        # are in; a thread that finds one still there waits for the thread importing it
        if not self._paths:
            return
        with self._lock:
            while self._paths:
                import_module(self._paths[0]).register()
                self._paths.pop(0)
