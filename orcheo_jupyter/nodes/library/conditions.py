"""Conditions shared by IfElseNode, WhileNode and FilterNode.

A condition is ``{left, operator, right, case_sensitive}``. Values coming out of
templates are often strings, so a numeric string compares as a number against a
number and ``"true"``/``"false"`` as a boolean against a boolean; anything else
that cannot be ordered is an error naming the condition, never a silent False.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..base import NodeError

Operator = Literal[
    "equals",
    "not_equals",
    "greater_than",
    "greater_than_or_equal",
    "less_than",
    "less_than_or_equal",
    "contains",
    "not_contains",
    "in",
    "not_in",
    "is_truthy",
    "is_falsy",
]
ConditionLogic = Literal["and", "or"]

_SYMBOLS = {
    "==": "equals",
    "!=": "not_equals",
    ">": "greater_than",
    ">=": "greater_than_or_equal",
    "<": "less_than",
    "<=": "less_than_or_equal",
}


class Condition(BaseModel):
    """One comparison: ``left <operator> right``."""

    model_config = ConfigDict(extra="forbid")

    left: Any = Field(None, title="Left", description="Value to test, usually a {{template}}.")
    operator: Operator = Field(
        "equals",
        title="Operator",
        description="How to compare left with right ('==', '>' ... are accepted too).",
    )
    right: Any = Field(None, title="Right", description="Value to compare against.")
    case_sensitive: bool = Field(
        True, title="Case sensitive", description="Compare strings exactly; off = casefold."
    )

    @field_validator("operator", mode="before")
    @classmethod
    def _symbols(cls, value: Any) -> Any:
        return operator_name(value)


def operator_name(value: Any) -> Any:
    """``">="`` -> ``"greater_than_or_equal"``; other values unchanged."""
    return _SYMBOLS.get(value, value) if isinstance(value, str) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring a string and a number (or a boolean) to the same type when that is exact."""
    if type(left) is type(right):
        return left, right
    if isinstance(left, bool) and isinstance(right, str) and right.lower() in ("true", "false"):
        return left, right.lower() == "true"
    if isinstance(right, bool) and isinstance(left, str) and left.lower() in ("true", "false"):
        return left.lower() == "true", right
    numbers = (_number(left), _number(right))
    if None not in numbers and not isinstance(left, bool) and not isinstance(right, bool):
        return numbers
    return left, right


def _fold(value: Any) -> Any:
    """Casefold strings, also inside lists, tuples, sets and mapping keys."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, list | tuple):
        return [_fold(v) for v in value]
    if isinstance(value, set | frozenset):
        return {_fold(v) for v in value}
    if isinstance(value, Mapping):
        return {_fold(k): v for k, v in value.items()}
    return value


def _contains(container: Any, item: Any, where: str) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        if not isinstance(item, str):
            item = str(item)
        return item in container
    if isinstance(container, Mapping | Sequence | set | frozenset):
        try:
            return item in container
        except TypeError:
            return False
    raise NodeError(where, f"cannot look inside {type(container).__name__} {container!r}")


def compare(left: Any, operator: str, right: Any, *, case_sensitive: bool, where: str) -> bool:
    """Apply one operator; ``where`` names the condition in errors."""
    if operator == "is_truthy":
        return bool(left)
    if operator == "is_falsy":
        return not left
    if not case_sensitive:
        left, right = _fold(left), _fold(right)
    if operator in ("contains", "not_contains"):
        found = _contains(left, right, f"{where}.left")
        return found if operator == "contains" else not found
    if operator in ("in", "not_in"):
        found = _contains(right, left, f"{where}.right")
        return found if operator == "in" else not found
    left, right = _coerce(left, right)
    if operator not in ("equals", "not_equals") and isinstance(left, str):
        numbers = (_number(left), _number(right))
        if isinstance(right, str) and None not in numbers:
            left, right = numbers  # "10" > "9" compares numbers, not text
    if operator == "equals":
        return bool(left == right)
    if operator == "not_equals":
        return bool(left != right)
    try:
        if operator == "greater_than":
            return bool(left > right)
        if operator == "greater_than_or_equal":
            return bool(left >= right)
        if operator == "less_than":
            return bool(left < right)
        if operator == "less_than_or_equal":
            return bool(left <= right)
    except TypeError:
        raise NodeError(
            where,
            f"cannot compare {type(left).__name__} {left!r} with "
            f"{type(right).__name__} {right!r} using {operator}",
        ) from None
    raise NodeError(f"{where}.operator", f"unknown operator {operator!r}")


def evaluate(
    conditions: Sequence[Condition],
    logic: ConditionLogic,
    *,
    field: str = "conditions",
    default_left: Any = None,
    use_default_left: bool = False,
) -> tuple[bool, list[dict[str, Any]]]:
    """Combine the conditions with and/or; also return each one's outcome.

    With ``use_default_left`` a condition that does not set ``left`` tests
    ``default_left`` instead (WhileNode's iteration count).
    """
    outcomes: list[dict[str, Any]] = []
    for i, cond in enumerate(conditions):
        left = cond.left
        if use_default_left and "left" not in cond.model_fields_set:
            left = default_left
        result = compare(
            left,
            cond.operator,
            cond.right,
            case_sensitive=cond.case_sensitive,
            where=f"{field}[{i}]",
        )
        outcomes.append(
            {"left": left, "operator": cond.operator, "right": cond.right, "result": result}
        )
    flags = [o["result"] for o in outcomes]
    return (all(flags) if logic == "and" else any(flags)), outcomes
