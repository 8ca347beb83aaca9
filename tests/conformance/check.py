"""How a conformance case's expectations are checked (shared by every surface's test)."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def assert_subset(expected: Any, actual: Any, where: str = "state") -> None:
    """Objects compare key by key (recursively); lists and scalars compare exactly."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing (have {sorted(actual)})"
            assert_subset(value, actual[key], f"{where}.{key}")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def assert_absent(paths: list[str], state: dict[str, Any]) -> None:
    for path in paths:
        cur: Any = state
        for part in path.split("."):
            cur = cur.get(part, _MISSING) if isinstance(cur, dict) else _MISSING
            if cur is _MISSING:
                break
        assert cur is _MISSING, f"{path} should be absent but is {cur!r}"
