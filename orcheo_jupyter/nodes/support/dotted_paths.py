"""Dotted paths into plain data (``user.tags.0``), shared by the data nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...common.dotted import MISSING, dig, split_path

__all__ = [
    "MISSING",
    "absolute_http_url",
    "dig",
    "is_template",
    "lookup_state",
    "put",
    "split_path",
]


def lookup_state(state: Mapping[str, Any], path: str) -> Any:
    """Like ``dig`` on the state, with the template rule that an unknown first
    segment falls back to ``results`` (``start.value`` == ``results.start.value``)."""
    parts = split_path(path)
    if not parts:
        return MISSING
    if parts[0] in state:
        return dig(state, parts)
    return dig(state.get("results", {}), parts)


def put(target: dict[str, Any], path: str | Sequence[str], value: Any) -> None:
    """Set ``target[a][b] = value`` for ``"a.b"``, creating objects on the way."""
    parts = split_path(path) if isinstance(path, str) else path
    if not parts:
        raise ValueError("empty path")
    cur = target
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    cur[parts[-1]] = value


def is_template(value: Any) -> bool:
    """A value only known at run time (a ``{{template}}`` or ``[[secret]]``)."""
    return isinstance(value, str) and ("{{" in value or "[[" in value)


def absolute_http_url(value: str) -> str:
    """``value`` if it is a template or an absolute http(s) URL, else ValueError saying why."""
    if is_template(value):
        return value
    import httpx  # here: the server imports node models at start (~65 ms of CPU)

    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("expected an absolute http:// or https:// URL")
    return value
