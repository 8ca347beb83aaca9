"""Turn run values (messages, pydantic models, sets...) into plain JSON data."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def jsonable(value: Any) -> Any:
    """A JSON-compatible copy of ``value``; unknown objects become their ``repr``."""
    # Exact types first: node outputs are mostly plain dicts, lists and scalars, and an
    # ``isinstance(x, Mapping)`` check (an ABC) costs several times a type comparison.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        try:
            return jsonable(value.model_dump(mode="json"))
        except Exception:
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return repr(value)


class Unstorable(ValueError):
    """A node's output holds a value its run's checkpoints cannot store."""

    def __init__(self, what: str, path: str) -> None:
        self.what, self.path = what, path
        super().__init__(
            f"it returned a value that cannot be stored: {what} at {path}; return JSON-like"
            " data (dicts, lists, strings, numbers, booleans, None)"
        )


_serde: Any = None
#: msgpack (LangGraph's checkpoint format) holds integers in this range only.
_INT_RANGE = (-(2**63), 2**64 - 1)


def check_storable(value: Any, path: str = "") -> None:
    """Unstorable naming the first value in ``value`` that LangGraph's checkpoint
    serializer refuses (a lock, a socket, a generator, an object of a class it does not
    know), with its path (``results.x.items[2]``).

    Plain JSON data costs a type comparison per value (no path is built unless something
    is wrong); anything else is asked of the serializer itself, so whatever it stores
    (pydantic models, dataclasses, datetimes, sets, messages) passes, and only what it
    refuses is named.
    """
    if not _plain(value):
        _check(value, path)


def _plain(value: Any) -> bool:
    """Whether ``value`` is plain JSON-like data with integers msgpack holds."""
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return True
    if kind is int:
        return bool(_INT_RANGE[0] <= value <= _INT_RANGE[1])
    if kind is dict:
        value = value.values()
    elif kind is not list and kind is not tuple:
        return False
    for item in value:
        kind = type(item)
        if kind is str or kind is bool or kind is float or item is None:
            continue
        if not _plain(item):
            return False
    return True


def _check(value: Any, path: str) -> None:
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return
    if kind is int:
        if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            raise Unstorable("an integer beyond 64 bits", path or "the output")
        return
    if kind is dict:
        for key, item in value.items():
            _check(item, f"{path}.{key}" if path else str(key))
        return
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    global _serde
    if _serde is None:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

        _serde = JsonPlusSerializer()
    try:
        _serde.dumps_typed(value)
        return
    except Exception:  # found one: a value inside it, or the value itself
        pass
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
    raise Unstorable(_type_name(value), path or "the output")


def _type_name(value: Any) -> str:
    """``a socket.socket object``, ``a generator object``, ``a Thing object`` (a class
    a code node defined: its module and enclosing function say nothing to its author)."""
    kind = type(value)
    name = kind.__qualname__.rsplit("<locals>.", 1)[-1]
    module = getattr(kind, "__module__", None) or "builtins"
    if module != "builtins" and "<locals>" not in kind.__qualname__:
        name = f"{module}.{name}"
    return f"a {name} object"
