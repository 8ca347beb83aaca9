"""The workflow document: models, canonical I/O, legacy import and validation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .io import checksum, document_from_data, dumps, load, loads, save, to_data
    from .models import (
        END,
        START,
        BuiltinNode,
        CodeNode,
        ConditionalEdge,
        Edge,
        FrozenIRGraph,
        GraphIR,
        ScriptGraph,
        SubgraphNode,
        WorkflowDocument,
    )
    from .problems import DocumentError, Problem
    from .validate import validate_document

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "checksum": ".io",
        "document_from_data": ".io",
        "dumps": ".io",
        "load": ".io",
        "loads": ".io",
        "save": ".io",
        "to_data": ".io",
        "END": ".models",
        "START": ".models",
        "BuiltinNode": ".models",
        "CodeNode": ".models",
        "ConditionalEdge": ".models",
        "Edge": ".models",
        "FrozenIRGraph": ".models",
        "GraphIR": ".models",
        "ScriptGraph": ".models",
        "SubgraphNode": ".models",
        "WorkflowDocument": ".models",
        "DocumentError": ".problems",
        "Problem": ".problems",
        "validate_document": ".validate",
    },
)

__all__ = [
    "END",
    "START",
    "BuiltinNode",
    "CodeNode",
    "ConditionalEdge",
    "DocumentError",
    "Edge",
    "FrozenIRGraph",
    "GraphIR",
    "Problem",
    "ScriptGraph",
    "SubgraphNode",
    "WorkflowDocument",
    "checksum",
    "document_from_data",
    "dumps",
    "load",
    "loads",
    "save",
    "to_data",
    "validate_document",
]
