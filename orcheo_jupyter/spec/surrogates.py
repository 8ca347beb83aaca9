"""Lone UTF-16 surrogates: valid JSON escapes (``"\\ud800"``) that no UTF-8 store can hold.

``json.loads`` turns such an escape into a Python string that cannot be encoded
as UTF-8, so it would fail later, inside whatever transaction stores it (and
with it everything batched alongside). Input surfaces check parsed JSON here,
before anything is stored, and refuse it with the field's path.
"""

from __future__ import annotations

import re
from typing import Any

#: A ``\\uD800``-``\\uDFFF`` escape; only bodies holding one need the full walk.
_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: A lone surrogate in decoded text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _show(key: str) -> str:
    """A key as printable text: a lone surrogate shows as its escape."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _bad(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_path(raw: bytes, data: Any, root: str = "body") -> str | None:
    """Where parsed ``data`` (from JSON text ``raw``) holds a lone surrogate, or None.

    The path starts at ``root`` and is dotted (``body.a.b[2]``). Cheap for ordinary
    bodies: without a surrogate escape in ``raw`` nothing is walked.
    """
    if not _ESCAPE.search(raw):
        return None
    return surrogate_path(data, root)


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (cheap for ASCII text: a flag CPython keeps)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def surrogate_path(data: Any, root: str = "") -> str | None:
    """Where ``data`` (JSON-like values) holds a lone surrogate, or None.

    The path starts at ``root`` (``body.a.b[2]``; with no root, ``a.b[2]``).
    """
    stack: list[tuple[str, Any]] = [(root, data)]
    while stack:  # iterative: deep documents must not exhaust the stack here
        path, value = stack.pop()
        if isinstance(value, str):
            if _bad(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                name = _show(str(key))
                where = f"{path}.{name}" if path else name
                if isinstance(key, str) and _bad(key):
                    return f"{where} (in the key)"
                stack.append((where, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def printable(text: str) -> str:
    """``text`` with each lone surrogate as its escape (``\\ud800``), so it can be stored."""
    if not has_lone_surrogate(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
