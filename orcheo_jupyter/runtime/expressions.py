"""Template resolution in node config (DESIGN §2).

``"{{ path }}"`` alone yields the raw typed value; templates inside longer text
are replaced by scalars only; the first segment falls back to ``results`` when it
is not a state key; ``config.`` reads the run config; anything unresolved stays
verbatim and is reported to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_TEMPLATE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_EXACT = re.compile(r"^\s*\{\{\s*([^{}]+?)\s*\}\}\s*$")
_SCALARS = (str, int, float, bool)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def walk(root: Any, parts: Sequence[str]) -> Any:
    """Follow dotted parts through mappings, sequences (by index) and attributes."""
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
        elif not part.startswith("_") and hasattr(cur, part):
            cur = getattr(cur, part)
        else:
            return MISSING
    return cur


def lookup(path: str, state: Mapping[str, Any], run_config: Mapping[str, Any] | None = None) -> Any:
    """Value at a dotted path, or MISSING. See the module docstring for the rules."""
    parts = [p for p in path.strip().split(".") if p]
    if not parts:
        return MISSING
    head = parts[0]
    if head == "config" and run_config is not None:
        found = walk(run_config, parts[1:])
        if found is not MISSING:
            return found
    if head in state:
        return walk(state, parts)
    if head != "results":
        return walk(state.get("results", {}), parts)
    return MISSING


def has_template(value: Any) -> bool:
    """Whether a config value holds any ``{{...}}`` that must be resolved per run."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, Mapping):
        return any(has_template(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_template(v) for v in value)
    return False


def render(
    value: Any,
    state: Mapping[str, Any],
    run_config: Mapping[str, Any] | None = None,
    unresolved: list[str] | None = None,
) -> Any:
    """Resolve templates in a value (recursively); the input is never mutated."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        exact = _EXACT.match(value)
        if exact:
            found = lookup(exact.group(1), state, run_config)
            if found is MISSING:
                if unresolved is not None:
                    unresolved.append(value.strip())
                return value
            return found

        def substitute(match: re.Match[str]) -> str:
            found = lookup(match.group(1), state, run_config)
            if found is MISSING or not isinstance(found, _SCALARS):
                if unresolved is not None:
                    unresolved.append(match.group(0))
                return match.group(0)
            return str(found)

        return _TEMPLATE.sub(substitute, value)
    if isinstance(value, Mapping):
        return {k: render(v, state, run_config, unresolved) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, state, run_config, unresolved) for v in value]
    if isinstance(value, tuple):
        return tuple(render(v, state, run_config, unresolved) for v in value)
    return value
