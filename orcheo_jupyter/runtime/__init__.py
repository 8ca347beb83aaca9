"""The runtime: documents become LangGraph graphs; the executor owns their runs.

The names below load on first use (PEP 562): importing one light submodule
(events, serialize, secrets) must not drag LangGraph into the Jupyter server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .build import build_graph, build_ir_graph
    from .events import EventType, NodeStatus, RunStatus
    from .executor import Executor
    from .outcomes import RunStateError
    from .state import State, initial_state

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "build_graph": ".build",
        "build_ir_graph": ".build",
        "EventType": ".events",
        "NodeStatus": ".events",
        "RunStatus": ".events",
        "Executor": ".executor",
        "RunStateError": ".outcomes",
        "State": ".state",
        "initial_state": ".state",
    },
)


__all__ = [
    "EventType",
    "Executor",
    "NodeStatus",
    "RunStateError",
    "RunStatus",
    "State",
    "build_graph",
    "build_ir_graph",
    "initial_state",
]
