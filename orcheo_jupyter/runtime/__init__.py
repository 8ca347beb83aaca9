"""The runtime: documents become LangGraph graphs; the executor owns their runs."""

from .build import build_graph, build_ir_graph
from .events import EventType, NodeStatus, RunStatus
from .executor import Executor, RunStateError
from .state import State, initial_state

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
