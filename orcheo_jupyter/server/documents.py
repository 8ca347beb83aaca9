"""What the server checks before it stores a document or starts a run.

A document is admitted only if it builds: frozen-ir graphs are validated and
compiled, script graphs go through the import guardrails (and get a fresh
index). Stored documents are parsed once per checksum, and run inputs are
checked against the document's ``inputs_schema``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from ..ingest import ScriptLimits, index_script
from ..nodes.registry import check_node
from ..runtime.build import build_graph
from ..spec.inputs import with_defaults
from ..spec.io import document_from_data
from ..spec.models import ScriptGraph, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..spec.validate import validate_document
from ..triggers.manual import ManualPolicy, manual_policy


class Documents:
    """Admission checks and a small parse cache, shared by the handlers."""

    def __init__(self, limits: ScriptLimits, cache_size: int = 256) -> None:
        self.limits = limits
        self._cache_size = cache_size
        self._parsed: OrderedDict[str, WorkflowDocument] = OrderedDict()
        self._validators: OrderedDict[str, Any] = OrderedDict()
        self._manual: OrderedDict[str, ManualPolicy | None] = OrderedDict()
        #: monotonic time of each workflow's last manual start (its trigger's cooldown).
        self.manual_starts: dict[str, float] = {}

    async def admit(self, doc: WorkflowDocument) -> WorkflowDocument:
        """The document to store, or DocumentError naming every problem."""
        self._check_inputs_schema(doc)
        if isinstance(doc.graph, ScriptGraph):
            index = await index_script(doc.graph.source, doc.graph.entrypoint, limits=self.limits)
            graph = doc.graph.model_copy(update={"index": index})
            return doc.model_copy(update={"graph": graph})
        try:
            build_graph(doc).compile()
        except DocumentError:
            raise
        except Exception as exc:  # LangGraph refuses the shape (e.g. an empty subgraph)
            raise DocumentError(
                [Problem("error", "graph_build", f"the graph cannot be built: {exc}")]
            ) from None
        return doc

    def problems(self, doc: WorkflowDocument) -> list[Problem]:
        """Errors and warnings of a document by the rules ``admit`` applies (canvas badges)."""
        try:
            self._check_inputs_schema(doc)
        except DocumentError as exc:
            found = list(exc.problems)
        else:
            found = []
        found.extend(validate_document(doc, check_node))
        return sorted(found, key=lambda p: p.severity != "error")

    def parsed(self, checksum: str, data: dict[str, Any]) -> WorkflowDocument:
        """A stored document as a model; parsed once per checksum."""
        doc = self._parsed.get(checksum)
        if doc is None:
            doc = document_from_data(data)
            self._remember(self._parsed, checksum, doc)
        else:
            self._parsed.move_to_end(checksum)
        return doc

    def manual_policy(
        self, checksum: str, doc: WorkflowDocument, workflow_id: str
    ) -> ManualPolicy | None:
        """What the version's manual triggers ask of a start by hand (cached per version)."""
        if checksum not in self._manual:
            self._remember(self._manual, checksum, manual_policy(doc, workflow_id))
        return self._manual[checksum]

    def check_inputs(self, checksum: str, doc: WorkflowDocument, inputs: dict[str, Any]) -> None:
        """DocumentError listing each input that does not match ``inputs_schema``.

        Checked with the schema's defaults filled in, as the run will get them: an
        input the caller may leave out is not "missing".
        """
        if not doc.inputs_schema:
            return
        inputs = with_defaults(doc, inputs)
        validator = self._validators.get(checksum)
        if validator is None:
            cls = validator_for(doc.inputs_schema)
            validator = cls(doc.inputs_schema)
            self._remember(self._validators, checksum, validator)
        try:
            errors = sorted(validator.iter_errors(inputs), key=lambda e: list(e.path))
        except Exception as exc:  # unresolvable $ref, bad regex...
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "inputs_schema",
                        f"inputs_schema cannot be applied: {exc}",
                        field="inputs_schema",
                    )
                ]
            ) from None
        if errors:
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "inputs",
                        e.message,
                        field=".".join(["inputs", *(str(p) for p in e.path)]),
                    )
                    for e in errors[:50]
                ]
            )

    def _check_inputs_schema(self, doc: WorkflowDocument) -> None:
        if not doc.inputs_schema:
            return
        try:
            validator_for(doc.inputs_schema).check_schema(doc.inputs_schema)
        except jsonschema.SchemaError as exc:
            path = ".".join(str(p) for p in exc.path)
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "inputs_schema",
                        f"not a valid JSON Schema: {exc.message}",
                        field="inputs_schema" + (f".{path}" if path else ""),
                    )
                ]
            ) from None
        except Exception as exc:
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "inputs_schema",
                        f"not a valid JSON Schema: {exc}",
                        field="inputs_schema",
                    )
                ]
            ) from None

    def _remember(self, cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        cache[key] = value
        while len(cache) > self._cache_size:
            cache.popitem(last=False)
