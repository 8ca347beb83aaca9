"""A trusted script (a file, a notebook cell) as a workflow document, built locally.

Imports over HTTP go through ``ingest/`` (restricted, in a child process); this is
for code the user runs anyway. A static graph of Orcheo node classes becomes a
frozen-ir document; any other graph is kept as a ``langgraph-script`` document
with its index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import spec
from ..runtime.script_graph import check_compiles, exec_script, graph_from_namespace, index_of
from ..spec.io import read_text
from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError, problems_from_validation
from .freeze import freeze
from .frontmatter import read_frontmatter


def script_document(
    source: str,
    name: str,
    entrypoint: str | None = None,
    *,
    namespace: dict[str, Any] | None = None,
    **document_fields: Any,
) -> WorkflowDocument:
    """The document for ``source`` (executed here, as plain Python).

    Without ``entrypoint``, the script's ``# /// orcheo`` block may name one.
    """
    entrypoint = entrypoint or read_frontmatter(source).entrypoint
    ns = exec_script(source) if namespace is None else namespace
    graph = graph_from_namespace(ns, entrypoint)
    check_compiles(graph)
    ir, _why = freeze(graph)
    if ir is not None:
        graph_data: dict[str, Any] = {
            "format": "frozen-ir",
            "entrypoint": ir.entrypoint,
            "ir": ir.model_dump(mode="json"),
        }
    else:
        graph_data = {
            "format": "langgraph-script",
            "source": source,
            "entrypoint": entrypoint,
            "index": index_of(graph).model_dump(mode="json"),
        }
    try:
        return WorkflowDocument.model_validate(
            {**document_fields, "name": name, "graph": graph_data}
        )
    except ValidationError as exc:
        raise DocumentError(problems_from_validation(exc)) from None


def load_file(path: str | Path, entrypoint: str | None = None) -> WorkflowDocument:
    """A document file (JSON/YAML, also Orcheo's legacy JSON) or a Python script (``.py``).

    One reader for every local surface (CLI, ``Workflow.load``), so an upstream
    ``workflow.py`` is accepted wherever a document file is. A script is named by
    its ``# /// orcheo`` block, else by its file name; ``entrypoint`` is for scripts.
    """
    p = Path(path)
    if p.suffix != ".py":
        if entrypoint:
            raise DocumentError.single(
                "entrypoint",
                f"only a Python script (.py) has an entrypoint; {p.name} is a document",
                field="entrypoint",
            )
        return spec.load(p)
    source = read_text(p)
    return script_document(source, read_frontmatter(source).name or p.stem, entrypoint)
