"""One walk along a dotted path (``user.tags.0``) for node config and templates, and
the route key of the value found.

The data nodes (``nodes/support/dotted_paths``) and template resolution
(``runtime/expressions``) both follow paths through state; one function keeps
their rules from drifting, with ``attributes`` for the one rule they differ in.
Conditional edges, the ``%%orcheo`` builder and the LangGraph freezer all turn a
value into a mapping key with ``route_key``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def split_path(path: str) -> list[str]:
    """``"a.b[0].c"`` or ``"a.b.0.c"`` -> ``["a", "b", "0", "c"]``."""
    normalized = path.replace("[", ".").replace("]", "")
    return [p for p in normalized.strip().split(".") if p != ""]


def dig(root: Any, path: str | Sequence[str], *, attributes: bool = False) -> Any:
    """The value at a dotted path (mapping keys, list indexes), or MISSING.

    The data nodes walk plain JSON-like data only. Templates and conditional edges
    (``runtime/expressions``) also reach into objects in the state (a message's
    ``content``), so they pass ``attributes=True``: a public attribute is followed
    where there is no mapping or sequence, a name starting with ``_`` never is.
    """
    parts = split_path(path) if isinstance(path, str) else path
    cur = root
    for part in parts:
        if isinstance(cur, Mapping):
            if part not in cur:
                return MISSING
            cur = cur[part]
        elif isinstance(cur, list | tuple):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return MISSING
        elif attributes and not part.startswith("_") and hasattr(cur, part):
            cur = getattr(cur, part)
        else:
            return MISSING
    return cur


def route_key(value: Any) -> str:
    """``True``/``False`` -> ``"true"``/``"false"``, ``None`` (or MISSING) -> ``"null"``,
    else ``str``: how a conditional edge's value is looked up in its mapping."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None or value is MISSING:
        return "null"
    return str(value)
