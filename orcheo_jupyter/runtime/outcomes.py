"""How a run's end is told: failure messages, and answers addressed to interrupts.

Light on purpose: the server's error mapping imports ``RunStateError`` from here,
and must not load LangGraph for it (start-up cost).
"""

from __future__ import annotations

from typing import Any

from ..spec.problems import DocumentError
from ..store.encoding import NotUnicode, ValueTooLarge


class RunStateError(RuntimeError):
    """The run is not in a state that allows the request (e.g. resume a finished run)."""


def resume_map(run_id: str, pending: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    """Address the answer to interrupt ids, so any value (even ``{}``) is an answer.

    With one pending interrupt the value answers it; with several, the value must map
    each interrupt id to its answer.
    """
    ids = [p["id"] for p in pending if p.get("id")]
    if isinstance(value, dict) and value and set(value) <= set(ids):
        return value
    if len(ids) == 1:
        return {ids[0]: value}
    raise RunStateError(
        f"run {run_id} waits on {len(ids)} interrupts; answer with an object mapping "
        f"each interrupt id ({', '.join(ids)}) to its answer"
    )


def failure_message(exc: BaseException, recursion_limit: int) -> str:
    # Imported here: the server's error mapping imports this module at start, and
    # these load LangGraph.
    from langgraph.errors import GraphRecursionError

    from .checkpoints import CheckpointError
    from .nodes_wrap import NodeFailed, clip, describe

    if isinstance(exc, NodeFailed | DocumentError | ValueTooLarge | NotUnicode | CheckpointError):
        return clip(str(exc))
    if isinstance(exc, GraphRecursionError):
        return f"run stopped after {recursion_limit} steps (recursion limit); a loop may never end"
    return describe(exc)
