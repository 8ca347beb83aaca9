"""Node types and their registry (knows nothing of Jupyter or HTTP servers)."""

from .base import BaseNode, NodeContext
from .registry import NodeSpec, UnknownNodeType, all_specs, catalog, check_node, get, register

__all__ = [
    "BaseNode",
    "NodeContext",
    "NodeSpec",
    "UnknownNodeType",
    "all_specs",
    "catalog",
    "check_node",
    "get",
    "register",
]
