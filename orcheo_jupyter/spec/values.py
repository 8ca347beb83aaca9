"""What a run can store: values that JSON, the repository and the checkpoints all keep.

Run inputs travel through JSON (REST, webhooks, the CLI), the repository and
LangGraph's msgpack checkpoints. Each has limits the others do not share:
``1e400`` parses as infinity, which JSON cannot write back; msgpack holds integers
from -2**63 to 2**64-1 only and refuses values nested about 255 deep; CPython's
parsers and our own recursive helpers fail near 1,000 levels. A value that passes
one surface and breaks the next fails after the caller was told "accepted", so
every surface checks here, before anything is stored.

The walk is iterative (never a RecursionError, whatever the depth) and names the
path of each offending value (``inputs.body.items[3]``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .problems import DocumentError, Problem

#: Default deepest nesting of a run's inputs or a request body (ORCHEO_MAX_INPUT_DEPTH).
DEFAULT_MAX_DEPTH = 64
#: Checkpoints (msgpack) refuse values nested 255 deep; the state and node results
#: wrap inputs a few more levels, so a configured limit may not exceed this.
HIGHEST_MAX_DEPTH = 200
#: Levels an API request adds around run inputs (``{"runs": [{"inputs": ...}]}``).
BODY_ENVELOPE = 4
MIN_INT = -(2**63)
MAX_INT = 2**64 - 1
#: Problems reported per value: enough to fix a payload, not a flood.
_MAX_PROBLEMS = 20


class UnstorableValue(DocumentError):
    """A value no run can keep (too deep, not finite, an integer beyond 64 bits).

    A client error in the request itself (HTTP 400), not a document problem.
    """

    @property
    def refusal(self) -> str:
        """The problems as an API refusal words them (``inputs.a: ...; inputs.b: ...``):
        every one is an error, so no severity prefix."""
        return "; ".join(p.describe() for p in self.problems) or str(self)


@dataclass(frozen=True)
class ValueLimits:
    """How deeply run inputs and request bodies may nest."""

    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= HIGHEST_MAX_DEPTH:
            raise ValueError(
                f"max_input_depth must be between 1 and {HIGHEST_MAX_DEPTH} "
                f"(checkpoints cannot hold deeper values), not {self.max_depth}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ValueLimits:
        """``ORCHEO_MAX_INPUT_DEPTH`` from ``env`` (default: the process environment)."""
        text = (os.environ if env is None else env).get("ORCHEO_MAX_INPUT_DEPTH", "").strip()
        if not text:
            return cls()
        try:
            depth = int(text)
        except ValueError:
            raise ValueError(f"ORCHEO_MAX_INPUT_DEPTH must be an integer, not {text!r}") from None
        return cls(max_depth=depth)


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _plainly_storable(value: Any, max_depth: int) -> bool:
    """True when ``value`` is plain JSON data that fits: the common case, checked fast.

    No paths are built and only exact types are compared (ABC checks cost several
    times more); anything unusual answers False and gets the full walk.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not MIN_INT <= item <= MAX_INT:
                return False
            continue
        if kind is float:
            if not math.isfinite(item):
                return False
            continue
        if kind is dict:
            children: Any = item.values()
        elif kind is list:
            children = item
        else:
            return False
        if depth >= max_depth:
            return False
        depth += 1
        for child in children:
            push((child, depth))
    return True


def value_problems(value: Any, field: str, limits: ValueLimits | None = None) -> list[Problem]:
    """Each part of ``value`` that cannot be stored, named by its path under ``field``."""
    limits = limits or ValueLimits()
    if _plainly_storable(value, limits.max_depth):
        return []
    problems: list[Problem] = []
    # (value, path, depth of value); containers push their items.
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack and len(problems) < _MAX_PROBLEMS:
        item, path, depth = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if not MIN_INT <= item <= MAX_INT:
                problems.append(
                    Problem(
                        "error",
                        "integer_out_of_range",
                        f"integer of {item.bit_length()} bits: run values must fit in 64 bits "
                        "(from -2**63 to 2**64-1); send larger numbers as strings",
                        field=path,
                    )
                )
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                problems.append(
                    Problem(
                        "error",
                        "not_finite",
                        f"{item!r} is not a finite number (JSON has no NaN or Infinity; a "
                        "number like 1e400 overflows to infinity)",
                        field=path,
                    )
                )
            continue
        if isinstance(item, Mapping):
            children: list[tuple[Any, Any]] = list(item.items())
        elif isinstance(item, list | tuple):
            children = list(enumerate(item))
        else:
            continue  # other objects: the serializer decides
        if depth + 1 > limits.max_depth:
            problems.append(
                Problem(
                    "error",
                    "too_deep",
                    f"nested deeper than the limit of {limits.max_depth} levels "
                    "(max_input_depth, ORCHEO_MAX_INPUT_DEPTH)",
                    field=path,
                )
            )
            continue
        for key, child in reversed(children):
            stack.append((child, _child(path, key), depth + 1))
    return problems


def check_value(value: Any, field: str, limits: ValueLimits | None = None) -> None:
    """UnstorableValue naming each part of ``value`` a run could not store."""
    problems = value_problems(value, field, limits)
    if problems:
        raise UnstorableValue(problems)


#: Stands in, when a stored row is read, for a part nested deeper than any run may store
#: (rows written before admission checked depth); every listing can then show the row.
TOO_DEEP = f"<nested deeper than {HIGHEST_MAX_DEPTH} levels: not shown>"


def _clip(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        if depth >= HIGHEST_MAX_DEPTH:
            return TOO_DEEP
        return {k: _clip(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= HIGHEST_MAX_DEPTH:
            return TOO_DEEP
        return [_clip(v, depth + 1) for v in value]
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((c, depth + 1) for c in children)
    return False


def loads_stored(text: str | bytes) -> Any:
    """A stored JSON column as data any reader can handle (copy, serialize, answer).

    Parts nested deeper than ``HIGHEST_MAX_DEPTH`` become ``TOO_DEEP``; text too
    deep for Python's parser becomes ``TOO_DEEP`` whole. Never raises RecursionError.
    Also psycopg's JSON loader on our Postgres pools (which may pass bytes).
    """
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8")
    try:
        value = json.loads(text)
    except RecursionError:
        return TOO_DEEP
    # Only text with that many brackets can nest that deep: most rows skip the walk.
    if text.count("[") + text.count("{") > HIGHEST_MAX_DEPTH and _deeper_than(
        value, HIGHEST_MAX_DEPTH
    ):
        return _clip(value, 0)
    return value
