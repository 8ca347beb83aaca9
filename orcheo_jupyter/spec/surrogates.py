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
    stack: list[tuple[str, Any]] = [(root, data)]
    while stack:  # iterative: deep documents must not exhaust the stack here
        path, value = stack.pop()
        if isinstance(value, str):
            if _bad(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{_show(key)}"
                if _bad(key):
                    return f"{where} (in the key)"
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None
