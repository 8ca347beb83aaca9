"""PEP 562 exports: a package's public names load on first use.

Jupyter imports ``orcheo_jupyter`` at every start and the server imports light
submodules (``runtime.outcomes``, ``spec.problems``) whose packages re-export
heavy names; eager ``__init__`` re-exports would load LangGraph, networkx or
cryptography for nothing. ``tests/test_startup.py`` keeps it that way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], names: Mapping[str, str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` importing ``names[name]`` (a relative submodule) on demand."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # later lookups never reach __getattr__
        return value

    return __getattr__
