"""What the retrieval nodes pass each other, and how they find it in the state.

A *document* is ``{id, content, metadata, source}``; a *chunk* is ``{id,
document_id, chunk_index, content, metadata}``; a *search result* is ``{id, score,
text, metadata, source}``. A node takes its input from a config field when it is
set (usually a ``{{template}}``), else from ``results.<source_result_key>.<field>``
as Orcheo's nodes do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import NodeError
from .dotted_paths import MISSING, dig


def from_results(
    state: Mapping[str, Any],
    given: Any,
    result_key: str,
    field: str,
    config_field: str,
) -> Any:
    """``given`` if set, else ``results[result_key][field]``; NodeError naming both."""
    if given is not None:
        return given
    found = dig(state.get("results") or {}, [result_key, field])
    if found is MISSING:
        raise NodeError(
            config_field,
            f"not set, and results.{result_key}.{field} is not in the state "
            f"(set {config_field} or point source_result_key at the node that makes it)",
        )
    return found


def query_text(state: Mapping[str, Any], given: str | None, query_key: str) -> str:
    """The user's query: the ``query`` field, else ``inputs.<query_key>``."""
    if given is not None and given.strip():
        return given
    value = (state.get("inputs") or {}).get(query_key)
    if value is None:
        value = state.get(query_key)
    if not isinstance(value, str) or not value.strip():
        raise NodeError("query", f"no query: set query or pass inputs.{query_key}")
    return value


def user_message(state: Mapping[str, Any], query_key: str) -> str:
    """The user's message, for the conversational and web search nodes:
    ``inputs.<query_key>``, else ``message``, ``user_message`` or ``query``, stripped."""
    inputs = state.get("inputs") or {}
    for name in (query_key, "message", "user_message", "query"):
        value = inputs.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise NodeError(
        "query_key", f"no query: pass inputs.{query_key} (or message, user_message, query)"
    )


def as_list(value: Any, field: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise NodeError(field, f"expected a list of {what} objects, got {type(value).__name__}")
    return [dict(v) for v in value]


def objects_from(
    state: Mapping[str, Any],
    given: Any,
    result_key: str,
    field: str,
    config_field: str,
    what: str,
) -> list[dict[str, Any]]:
    """The list of ``what`` objects a RAG node works on: ``given``, else the one an
    upstream node put in ``results[result_key][field]``; NodeError naming the field."""
    return as_list(from_results(state, given, result_key, field, config_field), config_field, what)


def result_text(item: Mapping[str, Any]) -> str:
    for key in ("text", "content", "snippet", "description"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
