"""On/off settings as every surface reads them (environment variables, config text)."""

from __future__ import annotations

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_flag(text: str, name: str) -> bool:
    """1/true/yes/on or 0/false/no/off (any case); ValueError naming ``name`` otherwise."""
    raw = text.strip().lower()
    if raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise ValueError(f"{name} must be true or false, not {text!r}")
