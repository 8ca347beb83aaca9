"""JSON bytes sent to us, read one way: the API's request bodies and webhook deliveries.

Both surfaces refuse the same bytes for the same reasons, in the same words:

- UTF-8 only, a leading BOM tolerated (RFC 8259 section 8.1): ``json.loads`` on bytes
  would also take UTF-16 or UTF-32, and call any other bytes "not valid JSON".
- A key named twice in one object is refused: json keeps the last value silently, so
  ``{"inputs": a, "inputs": b}`` would run with b, and which was meant cannot be told.
- A lone surrogate escape (``"\\ud800"``) is refused with its path: no UTF-8 store can
  hold it, and it would fail later inside a batch of other people's writes.

Nesting too deep for the parser (``RecursionError``) is left to the caller, which
names the depth limit that applies to what it reads. NaN, Infinity and 1e400 parse here
and are refused by the caller's value checks, with their paths.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from .surrogates import lone_surrogate_path


class UnreadableJson(ValueError):
    """Bytes that are not JSON data we take; ``message`` names the subject, ``details``
    are the specifics a client can act on (the key, the line and column...)."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members; _DuplicateKey when one key is given twice. As fast as plain
    loads: the set is only built for an object that shrank."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return data


def read_json(raw: bytes, *, subject: str = "body", root: str = "body") -> Any:
    """``raw`` as JSON data, or UnreadableJson saying why not.

    ``subject`` is how messages name the whole text ("request body"); ``root`` starts
    the paths of values inside it (``body.a[2]``) and is the details' field.
    """
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = str(raw[start:] if start else raw, "utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableJson(
            f"{subject} is not UTF-8 text (byte {start + exc.start}); send JSON as UTF-8",
            {"field": root, "byte": start + exc.start},
        ) from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise UnreadableJson(
            f"{subject}: the key {exc.key!r} appears twice in one object; each key may "
            "appear once (which value was meant cannot be told)",
            {"field": root, "key": exc.key},
        ) from None
    except json.JSONDecodeError as exc:
        raise UnreadableJson(
            f"{subject} is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno} (character {exc.pos})",
            {"line": exc.lineno, "column": exc.colno, "position": exc.pos},
        ) from None
    except ValueError as exc:  # an integer of more digits than int() converts
        raise UnreadableJson(f"{subject}: {exc}", {"field": root}) from None
    where = lone_surrogate_path(raw, data, root)
    if where is not None:
        raise UnreadableJson(
            f"{where} holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff), "
            "which is not Unicode text and cannot be stored",
            {"field": where},
        )
    return data
