"""The workflow document: models, canonical I/O, legacy import and validation."""

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
