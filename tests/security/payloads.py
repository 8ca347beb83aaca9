"""The value attacks of ``payloads/values.json``, as JSON text and as Python values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DATA = json.loads((Path(__file__).parent / "payloads" / "values.json").read_text())


@dataclass(frozen=True)
class Case:
    name: str
    text: str  # the value as JSON text
    nest: dict[str, Any] | None
    code: str | None  # the problem code when refused; None when kept
    at: str | None  # the offending value's path under inputs

    def value(self) -> Any:
        """The value in Python, built without a parser (so any depth works)."""
        if self.nest is None:
            return json.loads(self.text)
        value: Any = json.loads(self.nest["inner"])
        for _ in range(self.nest["depth"]):
            value = [value] if self.nest["open"] == "[" else {"a": value}
        return value

    def inputs_json(self) -> str:
        return '{"x": ' + self.text + "}"


def _case(entry: dict[str, Any]) -> Case:
    nest = entry.get("nest")
    if nest is not None:
        text = nest["open"] * nest["depth"] + nest["inner"] + nest["close"] * nest["depth"]
    else:
        text = entry["json"]
    return Case(entry["name"], text, nest, entry.get("code"), entry.get("at"))


REFUSED = [_case(e) for e in _DATA["refused"]]
KEPT = [_case(e) for e in _DATA["kept"]]


def refused_as(
    case: Case, problems: list[dict[str, Any]], prefix: str, parse_root: str = "body"
) -> None:
    """``problems`` (error details) refuse ``case`` for its reason, at its value's path.

    Values too deep for any parser are refused whole: their path is where parsing
    stopped (``parse_root``, the request body).
    """
    assert problems, f"{case.name}: no problem details"
    first = problems[0]
    assert first["code"] == case.code, (case.name, first)
    field = first["field"]
    assert case.at is not None
    full = f"{prefix}{case.at}"
    if case.code == "too_deep":  # parse_root: too deep for the parser itself
        assert field.startswith(full) or field == parse_root, (case.name, field)
    else:
        assert field == full, (case.name, field)
