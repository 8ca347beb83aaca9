"""Template resolution in node config (DESIGN §2).

``"{{ path }}"`` alone yields the raw typed value; templates inside longer text
are replaced by scalars only; the first segment falls back to ``results`` when it
is not a state key; ``config.`` reads the run config; anything unresolved stays
verbatim and is reported to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..common.dotted import MISSING, dig

_TEMPLATE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_EXACT = re.compile(r"^\s*\{\{\s*([^{}]+?)\s*\}\}\s*$")
_SCALARS = (str, int, float, bool)


def lookup(path: str, state: Mapping[str, Any], run_config: Mapping[str, Any] | None = None) -> Any:
    """Value at a dotted path, or MISSING. See the module docstring for the rules."""
    parts = [p for p in path.strip().split(".") if p]
    if not parts:
        return MISSING
    head = parts[0]
    if head == "config" and run_config is not None:
        found = dig(run_config, parts[1:], attributes=True)
        if found is not MISSING:
            return found
    if head in state:
        return dig(state, parts, attributes=True)
    if head != "results":
        return dig(state.get("results", {}), parts, attributes=True)
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
