"""What the server checks before it stores a document.

A document is admitted only if it builds: frozen-ir graphs are validated and
compiled, script graphs go through the import guardrails (and get a fresh
index). Stored documents are parsed once per checksum. Runs are admitted below
the server, by ``runtime/admission.py``, whoever starts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..common.lru import LRU
from ..ingest import ScriptLimits, index_script
from ..runtime import prepared
from ..runtime.admission import is_large
from ..runtime.build import build_graph
from ..runtime.secrets import document_uses
from ..spec.inputs import schema_problems
from ..spec.io import document_from_data
from ..spec.models import ScriptGraph, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..triggers.config import document_problems
from .document_worker import DocumentWorker, parse_stored

#: Builds and compiles a document somewhere else; raises DocumentError if it cannot.
CompileCheck = Callable[[WorkflowDocument], Awaitable[None]]


def check_builds(doc: WorkflowDocument) -> None:
    """Build and compile a frozen-ir document's graph: DocumentError naming what fails."""
    try:
        build_graph(doc).compile()
    except DocumentError:
        raise
    except Exception as exc:  # LangGraph refuses the shape (e.g. an empty subgraph)
        raise DocumentError(
            [Problem("error", "graph_build", f"the graph cannot be built: {exc}")]
        ) from None


def check_frozen(doc: WorkflowDocument) -> None:
    """What ``Documents.admit`` checks of a frozen-ir document, in one synchronous call
    (the document worker runs it for big documents)."""
    problems = schema_problems(doc)
    if problems:
        raise DocumentError(problems)
    check_builds(doc)


class Documents:
    """Document checks and a small parse cache, shared by the handlers."""

    def __init__(self, limits: ScriptLimits, cache_size: int = 256) -> None:
        self.limits = limits
        self._parsed: LRU[str, WorkflowDocument] = LRU(cache_size)

    async def admit(
        self, doc: WorkflowDocument, compile_elsewhere: CompileCheck | None = None
    ) -> WorkflowDocument:
        """The document to store, or DocumentError naming every problem.

        ``compile_elsewhere`` builds and compiles a large document in another process
        (a runner): seconds of pure-Python work in a thread here would still hold the
        GIL that the server's event loop needs.
        """
        problems = schema_problems(doc)
        if problems:
            raise DocumentError(problems)
        if isinstance(doc.graph, ScriptGraph):
            index = await index_script(doc.graph.source, doc.graph.entrypoint, limits=self.limits)
            graph = doc.graph.model_copy(update={"index": index})
            return doc.model_copy(update={"graph": graph})
        if is_large(doc) and compile_elsewhere is not None:
            await compile_elsewhere(doc)
        elif is_large(doc):  # seconds for 10,000 nodes: off the loop
            await asyncio.to_thread(check_builds, doc)
        else:
            check_builds(doc)
        return doc

    def problems(self, doc: WorkflowDocument) -> list[Problem]:
        """Errors and warnings of a document by the rules ``admit`` applies (canvas badges).

        ``document_problems`` includes ``inputs_schema`` and the document's triggers, as
        every surface's check does.
        """
        return document_problems(doc)

    def parsed(self, checksum: str, data: dict[str, Any]) -> WorkflowDocument:
        """A stored document as a model; parsed once per checksum."""
        return self._parsed.get_or_make(checksum, lambda: document_from_data(data))

    def cached(self, checksum: str) -> WorkflowDocument | None:
        """The stored document with this checksum, if parsed (or stored) since start."""
        return self._parsed.get(checksum)

    async def parsed_off_loop(
        self, checksum: str, data: dict[str, Any], worker: DocumentWorker
    ) -> WorkflowDocument:
        """``parsed``, in the document worker when the document is large and not cached."""
        found = self._parsed.get(checksum)
        if found is not None or not is_large(data):
            return found or self.parsed(checksum, data)
        doc, _, text = await worker.call(parse_stored, data)
        # What admitting a run reads of every node, cached per checksum: on a thread, where
        # the loop gets the GIL every few milliseconds, not in one piece on the loop.
        await asyncio.to_thread(document_uses, doc, checksum)
        self.remember(doc, checksum, text)
        return doc

    def remember(self, doc: WorkflowDocument, checksum: str, text: str) -> None:
        """A document just checked elsewhere: runs and triggers need not parse it again,
        nor the executor encode it again."""
        self._parsed.put(checksum, doc)
        prepared.remember(doc, checksum, text)
