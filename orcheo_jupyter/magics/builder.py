"""The ``workflow`` (alias ``graph``) object of a ``%%orcheo NAME`` cell.

It speaks LangGraph's builder language — ``add_node``, ``add_edge``,
``add_conditional_edges``, ``set_entry_point``, ``START``/``END`` — and writes the
same frozen-ir document the canvas edits. Registry nodes are named by type;
plain Python functions become code nodes (see ``functions.py``); a router
function in ``add_conditional_edges`` becomes a code node whose result the
conditional edge routes on. Every call remembers its cell line, so problems
found later (validation) still point at the line that caused them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from ..common.dotted import route_key
from ..nodes.base import BaseNode
from ..spec import edits
from ..spec.edits import EditError
from ..spec.models import (
    END,
    BuiltinNode,
    Canvas,
    CodeNode,
    GraphIR,
    RetryPolicy,
    Trigger,
    WorkflowDocument,
)
from ..spec.problems import problems_from_validation
from ..workflow import Workflow, _sentinel
from .code_lines import CodeOrigin
from .functions import MISSING, FunctionBody, FunctionError, function_body


class BuilderError(Exception):
    """A builder call that cannot be honoured; ``line`` is the cell line of the call."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class CellBuilder:
    """LangGraph-style builder over a ``Workflow``; ``subgraph()`` nests another one."""

    def __init__(self, name: str, filename: str, *, scope: str = "") -> None:
        self._wf = Workflow(name)
        self._filename = filename
        self._scope = scope
        #: qualified node id -> cell line of the add_node call
        self.node_lines: dict[str, int | None] = {}
        self.edge_lines: list[int | None] = []
        self.cond_lines: list[int | None] = []
        self.entry_line: int | None = None
        self.warnings: list[tuple[int | None, str]] = []
        #: code node id -> where its function's body was written
        self.code_origins: dict[str, CodeOrigin] = {}

    # --- plumbing ----------------------------------------------------------------
    def _line(self) -> int | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self._filename:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def _fail(self, message: str) -> BuilderError:
        return BuilderError(message, self._line())

    @property
    def workflow(self) -> Workflow:
        return self._wf

    @property
    def document(self) -> WorkflowDocument:
        """The live document (for settings the builder methods do not cover)."""
        return self._wf.document

    @property
    def ir(self) -> GraphIR:
        return self._wf.ir

    @property
    def name(self) -> str:
        return self._wf.name

    def _ids(self) -> set[str]:
        return {n.id for n in self.ir.nodes}

    def _check_id(self, node_id: Any) -> str:
        # "START"/"END" name the sentinels here (as in LangGraph), so no node may take them.
        if node_id in ("START", "END"):
            raise self._fail(f"node id {node_id!r} is reserved for the graph's start/end")
        with self._editing(self._line()):
            return edits.check_new_id(self.ir, node_id)

    @contextmanager
    def _editing(self, line: int | None) -> Iterator[None]:
        """The edit engine's refusal, as an error at the cell line of the call."""
        try:
            yield
        except EditError as exc:
            raise BuilderError(exc.reason, line) from None

    @contextmanager
    def _validating(self, line: int | None, prefix: str = "") -> Iterator[None]:
        """A model's refusal (pydantic), as an error naming its first field at the cell line."""
        try:
            yield
        except ValidationError as exc:
            first = problems_from_validation(exc, prefix=prefix)[0]
            raise BuilderError(f"{first.field}: {first.message}", line) from None

    def _target(self, name: Any, what: str) -> str:
        if not isinstance(name, str):
            raise self._fail(f"{what} must be a node id (a string) or START/END, not {name!r}")
        return _sentinel(name)

    # --- document metadata --------------------------------------------------------
    @property
    def description(self) -> str:
        return self.document.description

    @description.setter
    def description(self, value: str) -> None:
        if not isinstance(value, str):
            raise self._fail("workflow.description must be a string")
        self.document.description = value

    @property
    def tags(self) -> list[str]:
        return self.document.tags

    @tags.setter
    def tags(self, value: Iterable[str]) -> None:
        tags = list(value)
        if not all(isinstance(t, str) for t in tags):
            raise self._fail("workflow.tags must be a list of strings")
        self.document.tags = tags

    @property
    def inputs_schema(self) -> dict[str, Any]:
        return self.document.inputs_schema

    @inputs_schema.setter
    def inputs_schema(self, value: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise self._fail("workflow.inputs_schema must be a JSON Schema object (a dict)")
        self.document.inputs_schema = dict(value)

    @property
    def triggers(self) -> list[Trigger]:
        return self.document.triggers

    @triggers.setter
    def triggers(self, value: Iterable[Mapping[str, Any] | Trigger]) -> None:
        self.document.triggers = [self._model(Trigger, t, "workflow.triggers") for t in value]

    @property
    def canvas(self) -> Canvas:
        return self.document.canvas

    @canvas.setter
    def canvas(self, value: Mapping[str, Any] | Canvas) -> None:
        self.document.canvas = self._model(Canvas, value, "workflow.canvas")

    def _model(self, model: Any, value: Any, where: str) -> Any:
        with self._validating(self._line(), prefix=where):
            validated = model.model_validate(value)
        return validated

    # --- nodes -------------------------------------------------------------------
    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Any = None,
        /,
        *,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        config: Mapping[str, Any] | None = None,
        injected: list[str] | None = None,
        **kwargs: Any,
    ) -> CellBuilder:
        """``add_node(id, "Type", **config)``, ``add_node(id, function)``, ``add_node(function)``.

        ``action`` may also be a node instance, a ``Workflow`` or ``workflow.subgraph()``
        (a nested graph). ``config=`` passes config keys that clash with these
        keywords (e.g. HttpRequestNode's own ``timeout``).
        """
        line = self._line()
        if action is None and callable(node) and not isinstance(node, str):
            node, action = getattr(node, "__name__", ""), node
            if node == "<lambda>":
                raise BuilderError("a lambda needs a node id: add_node('id', lambda state: ...)")
        node_id = self._check_id(node)
        values = {**dict(config or {}), **kwargs}
        extra: dict[str, Any] = {}
        with self._validating(line, prefix="retry"):
            if retry is not None:
                extra["retry"] = RetryPolicy.model_validate(retry)
            if timeout is not None:
                if not isinstance(timeout, int | float) or timeout <= 0:
                    raise self._fail(
                        f"timeout must be a positive number of seconds, not {timeout!r}"
                    )
                extra["timeout"] = float(timeout)
        if action is None:
            raise BuilderError(
                f"add_node({node_id!r}) needs what the node does: a node type name, a "
                "function, a node instance or a subgraph",
                line,
            )
        if isinstance(action, CellBuilder):
            if values or injected is not None:
                raise BuilderError("a subgraph node takes no config", line)
            self._wf.add_node(node_id, action.workflow, **extra)
            for child, child_line in action.node_lines.items():
                self.node_lines[f"{node_id}/{child}"] = child_line
        elif isinstance(action, str | BaseNode | Workflow):
            if injected is not None:
                raise BuilderError("injected= is only for code nodes (functions)", line)
            if isinstance(action, str):
                with self._editing(line):
                    edits.add_node(
                        self.document, BuiltinNode(id=node_id, type=action, config=values, **extra)
                    )
            else:
                if values:
                    raise BuilderError("a node instance carries its own config", line)
                self._wf.add_node(node_id, action, **extra)
        elif callable(action):
            self._add_function(node_id, action, values, injected, extra, line)
        else:
            raise BuilderError(
                f"add_node({node_id!r}, ...) got {type(action).__name__}; expected a node type "
                "name, a function, a node instance or a subgraph",
                line,
            )
        self.node_lines[node_id] = line
        return self

    def _add_function(
        self,
        node_id: str,
        fn: Callable[..., Any],
        values: dict[str, Any],
        injected: list[str] | None,
        extra: dict[str, Any],
        line: int | None,
    ) -> None:
        try:
            made = function_body(fn)
        except FunctionError as exc:
            at = exc.lineno if exc.filename == self._filename else line
            raise BuilderError(exc.message, at) from None
        self._warn_from(made.filename, made.warnings, line)
        config: dict[str, Any] = {}
        for name, default in made.kwonly.items():
            if name in values:
                config[name] = values[name]
            elif default is MISSING:
                raise BuilderError(
                    f"function {made.name or node_id!r} needs a value for {name!r}: "
                    f"add_node({node_id!r}, {made.name or 'fn'}, {name}=...)",
                    line,
                )
            else:
                config[name] = default
        config.update(values)
        fields = list(config) if injected is None else list(injected)
        with self._validating(line):
            node = CodeNode(id=node_id, body=made.body, config=config, injected=fields, **extra)
        with self._editing(line):
            edits.add_node(self.document, node)
        self._remember_origin(node_id, made)

    def _remember_origin(self, node_id: str, made: FunctionBody) -> None:
        self.code_origins[node_id] = CodeOrigin(
            body=made.body,
            filename=made.filename,
            def_line=made.lineno,
            first_line=made.first_line,
            prologue=made.prologue,
        )

    def _warn_from(
        self, filename: str, warnings: list[tuple[int | None, str]], line: int | None
    ) -> None:
        for at, message in warnings:
            self.warnings.append((at if filename == self._filename else line, message))

    def add_code_node(
        self,
        node_id: str,
        body: str,
        *,
        config: Mapping[str, Any] | None = None,
        injected: list[str] | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> CellBuilder:
        """A code node from the body text itself (as ``Workflow.add_code_node``)."""
        line = self._line()
        self._check_id(node_id)
        with self._validating(line), self._editing(line):
            self._wf.add_code_node(
                node_id, body, config=config, injected=injected, retry=retry, timeout=timeout
            )
        self.node_lines[node_id] = line
        return self

    def add_sequence(self, nodes: Iterable[Any]) -> CellBuilder:
        """Nodes chained in order: ids with actions as ``(id, action)`` or bare functions."""
        previous = None
        for item in nodes:
            if isinstance(item, tuple) and len(item) == 2:
                self.add_node(item[0], item[1])
                node_id = item[0]
            elif callable(item) and not isinstance(item, str):
                self.add_node(item)
                node_id = self.ir.nodes[-1].id
            else:
                raise self._fail(
                    f"add_sequence takes functions or (id, action) pairs, not {item!r}"
                )
            if previous is not None:
                self.add_edge(previous, node_id)
            previous = node_id
        return self

    def subgraph(self) -> CellBuilder:
        """A nested builder; ``add_node("id", sub)`` adds it as a subgraph node."""
        sub = CellBuilder(f"{self.name} subgraph", self._filename, scope=self._scope)
        sub.warnings = self.warnings
        return sub

    # --- edges -------------------------------------------------------------------
    def add_edge(self, source: str | list[str], target: str) -> CellBuilder:
        line = self._line()
        if isinstance(source, list | tuple):
            raise BuilderError(
                "edges from several sources at once (a join) are not part of the document "
                "format; add one edge per source",
                line,
            )
        with self._editing(line):
            self._wf.add_edge(
                self._target(source, "edge source"), self._target(target, "edge target")
            )
        self.edge_lines.append(line)
        return self

    def set_entry_point(self, node_id: str) -> CellBuilder:
        self.entry_line = self._line()
        with self._editing(self.entry_line):
            self._wf.set_entry_point(self._target(node_id, "the entry point"))
        return self

    def set_finish_point(self, node_id: str) -> CellBuilder:
        return self.add_edge(node_id, END)

    def add_conditional_edges(
        self,
        source: str,
        path: str | Callable[..., Any],
        mapping: Mapping[Any, str] | list[str] | None = None,
        default: str | None = None,
    ) -> CellBuilder:
        """Route after ``source`` on a state path, or on what a router function returns.

        A router function becomes a code node right after ``source`` (named after the
        function); the edge then routes on its result. Python keys ``True``/``False``/
        ``None`` become ``"true"``/``"false"``/``"null"``, as the document compares them.
        """
        line = self._line()
        source = self._target(source, "conditional edge source")
        if callable(path) and not isinstance(path, str):
            made = self._router(source, path, line)
            routes = made[1]
            path_text = f"results.{made[0]}"
            if mapping is None:
                if routes is None:
                    raise BuilderError(
                        "add_conditional_edges with a router function needs a mapping "
                        "{value: node} (its return values are not all literals)",
                        line,
                    )
                mapping = {r: r for r in routes}
            source = made[0]
        elif isinstance(path, str):
            path_text = path
            if mapping is None:
                raise BuilderError(
                    "add_conditional_edges(source, path, mapping): mapping is missing", line
                )
        else:
            raise BuilderError(
                f"the route must be a dotted state path or a function, not {type(path).__name__}",
                line,
            )
        if isinstance(mapping, list | tuple):
            mapping = {name: name for name in mapping}
        if not isinstance(mapping, Mapping):
            raise BuilderError("the mapping must be a dict {value: node} or a list of nodes", line)
        routes_map = {route_key(k): self._target(v, "a route") for k, v in mapping.items()}
        with self._editing(line):
            self._wf.add_conditional_edges(
                source,
                path_text,
                routes_map,
                default=self._target(default, "the default route") if default is not None else None,
            )
        self.cond_lines.append(line)
        return self

    def _router(
        self, source: str, fn: Callable[..., Any], line: int | None
    ) -> tuple[str, list[str] | None]:
        try:
            made = function_body(fn)
        except FunctionError as exc:
            at = exc.lineno if exc.filename == self._filename else line
            raise BuilderError(exc.message, at) from None
        if made.kwonly:
            raise BuilderError("a router function takes no keyword-only parameters", line)
        self._warn_from(made.filename, made.warnings, line)
        base = made.name or f"{source}_route"
        node_id = base if base not in self._ids() else f"{source}_{base}"
        if node_id in self._ids():
            raise BuilderError(f"node {node_id!r} already exists; rename the router function", line)
        with self._editing(line):
            edits.add_node(self.document, CodeNode(id=node_id, body=made.body))
            self._wf.add_edge(source, node_id)
        self._remember_origin(node_id, made)
        self.node_lines[node_id] = line
        self.edge_lines.append(line)
        return node_id, made.returns

    # --- LangGraph habits -----------------------------------------------------------
    def compile(self, *args: Any, **kwargs: Any) -> CellBuilder:
        """Accepted so pasted LangGraph code runs; the cell itself saves the workflow."""
        return self

    def __repr__(self) -> str:
        return f"<workflow {self.name!r} being built: {len(self.ir.nodes)} nodes>"
