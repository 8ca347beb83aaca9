"""How a run's spans are laid out in a table: the columns that order and link them,
and one JSON text with the rest (kind, status, attributes, events, service).

Tracing hands the store rows (``SpanRow``), made straight from its spans when a run's
spans are taken; ``span_columns`` makes one from a span in its dict shape (what
``list_spans`` returns)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The columns beside ``run_id`` and ``data`` (the JSON text of the rest).
SPAN_COLUMNS = ("span_id", "trace_id", "parent_span_id", "name", "start_ns", "end_ns")
_DROPPED = frozenset((*SPAN_COLUMNS, "run_id"))
#: One stored span: ``(*SPAN_COLUMNS, data)``.
SpanRow = tuple[str, str, str | None, str, int, int, str]
# ASCII JSON: a lone surrogate in an attribute cannot break the database's encoding.
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=str)
# The C encoder, made once: ``json.dumps`` builds one per call, which costs more than
# encoding a span (spans are written as runs settle, a dozen per run at least).
_c_make = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE = (
    _c_make(
        None,  # no circular-reference markers: records are trees made here
        str,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
    if _c_make is not None
    else None
)


def encode(value: Any) -> str:
    """``value`` as compact ASCII JSON (anything not JSON as its ``str``)."""
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(value, 0))
    return _ENCODER.encode(value)


def span_columns(span: Mapping[str, Any]) -> SpanRow:
    """``(span_id, trace_id, parent_span_id, name, start_ns, end_ns, data)`` of ``span``."""
    data = encode({k: v for k, v in span.items() if k not in _DROPPED})
    return (
        str(span["span_id"]),
        str(span["trace_id"]),
        span.get("parent_span_id"),
        str(span["name"]),
        int(span["start_ns"]),
        int(span["end_ns"]),
        data,
    )


def span_of(data: str | Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored span as one dict again (what ``list_spans`` returns)."""
    rest = json.loads(data) if isinstance(data, str) else dict(data)
    span = {name: row[name] for name in SPAN_COLUMNS}
    span["start_ns"], span["end_ns"] = int(span["start_ns"]), int(span["end_ns"])
    span.update(rest)
    return span


def record_of(row: SpanRow) -> dict[str, Any]:
    """A row as the dict ``list_spans`` returns."""
    return span_of(row[-1], dict(zip(SPAN_COLUMNS, row, strict=False)))
