"""A run as a table row, the same in both databases: its columns, which hold JSON,
the ``UPDATE`` a ``RunUpdate`` becomes and the record its stored values make.

Each repository supplies only how a value is encoded for its driver; the hot
path (``write_batch``) builds its statements here, so it must stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .records import RunRecord, RunUpdate, resolve_shared
from .sql import insert
from .tables import RUNS

RUN_COLUMNS = RUNS.names
JSON_FIELDS = RUNS.json_names
_UPDATABLE = set(RUN_COLUMNS) - {"id", "created_at"}
INSERT_RUN = insert("runs", RUN_COLUMNS)


def update_statement(
    update: RunUpdate, encode: Callable[[str, Any], Any], mark: str = "?"
) -> tuple[str, tuple[Any, ...]]:
    """``UPDATE runs`` for ``update`` with the driver's placeholder ``mark``, values put
    through ``encode`` (column, value)."""
    unknown = set(update.fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update run fields {sorted(unknown)}")
    fields = dict(update.fields)
    fields["updated_at"] = update.at
    assignments = ", ".join(f"{k} = {mark}" for k in fields)
    values = [encode(k, v) for k, v in fields.items()]
    return f"UPDATE runs SET {assignments} WHERE id = {mark}", (*values, update.run_id)


def run_record(data: dict[str, Any]) -> RunRecord:
    """The record of a run's decoded column values."""
    data["config"] = data["config"] or {}
    data["node_states"] = data["node_states"] or {}
    data["final_state"] = resolve_shared(data["final_state"], data["inputs"])
    return RunRecord(**data)
