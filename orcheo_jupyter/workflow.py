"""The Python API: build, load, save and run workflows from code or notebooks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import spec
from .nodes.base import BaseNode
from .runtime import background
from .spec import edits
from .spec.models import (
    END,
    START,
    BuiltinNode,
    CodeNode,
    FrozenIRGraph,
    GraphIR,
    Position,
    RetryPolicy,
    SubgraphNode,
    WorkflowDocument,
)
from .spec.problems import Problem
from .store.records import RunRecord

log = logging.getLogger(__name__)

#: ``listener(kind, payload)``: kind "document" (payload {"origin": who changed it}) or
#: "run_event" (payload: one run event as a dict). Run events arrive on the background
#: loop's thread.
Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class RunResult:
    """What a finished (or interrupted) run left: status, final state, error."""

    record: RunRecord

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def state(self) -> dict[str, Any]:
        return self.record.final_state or {}

    @property
    def results(self) -> dict[str, Any]:
        return dict(self.state.get("results", {}))

    @property
    def error(self) -> str | None:
        return self.record.error

    @property
    def interrupts(self) -> list[dict[str, Any]]:
        return self.record.interrupt or []

    def raise_for_status(self) -> RunResult:
        if self.status == "failed":
            raise RuntimeError(self.error or "run failed")
        return self

    def __repr__(self) -> str:
        detail = f" error={self.error!r}" if self.error else ""
        return f"<RunResult {self.id[:8]} {self.status}{detail}>"


def _attempt_policy(
    retry: RetryPolicy | Mapping[str, Any] | None, timeout: float | None
) -> dict[str, Any]:
    """A node's ``retry`` and ``timeout`` keywords as its model takes them (unset: left out)."""
    policy: dict[str, Any] = {}
    if retry is not None:
        policy["retry"] = RetryPolicy.model_validate(retry)
    if timeout is not None:
        policy["timeout"] = timeout
    return policy


class Workflow:
    """A workflow document with a LangGraph-builder style API.

    ``Workflow("greet").add_node("a", "SetVariableNode", variables={...})`` builds the
    same frozen-ir document the canvas edits; ``run`` executes it durably.
    """

    def __init__(self, name: str, *, description: str = "", tags: list[str] | None = None) -> None:
        self._doc = WorkflowDocument(
            name=name,
            description=description,
            tags=list(tags or []),
            graph=FrozenIRGraph(ir=GraphIR()),
        )

    # --- construction --------------------------------------------------------
    @classmethod
    def from_document(cls, document: WorkflowDocument | Mapping[str, Any]) -> Workflow:
        doc = (
            document
            if isinstance(document, WorkflowDocument)
            else spec.document_from_data(document)
        )
        wf = cls.__new__(cls)
        wf._doc = doc.model_copy(deep=True)
        return wf

    @classmethod
    def load(cls, path: str | Path) -> Workflow:
        """A document (JSON/YAML, also Orcheo's legacy JSON) or a Python script (``.py``)."""
        from .compat.documents import load_file

        return cls.from_document(load_file(path))

    @classmethod
    def from_script(cls, source: str, name: str, entrypoint: str | None = None) -> Workflow:
        """A LangGraph script (plain, or built from Orcheo's node classes), run here.

        A static graph of node classes becomes an editable frozen-ir workflow.
        """
        from .compat.documents import script_document

        return cls.from_document(script_document(source, name, entrypoint))

    def to_document(self) -> WorkflowDocument:
        return self._doc.model_copy(deep=True)

    def to_json(self) -> str:
        return spec.dumps(self._doc)

    def save(self, path: str | Path | None = None) -> Path:
        """Write ``NAME.orcheo.json`` (or ``path``) in the canonical form."""
        return spec.save(self._doc, path or f"{self.name}.orcheo.json")

    @property
    def name(self) -> str:
        return self._doc.name

    @property
    def document(self) -> WorkflowDocument:
        """The live document (mutations through the builder methods only)."""
        return self._doc

    @property
    def ir(self) -> GraphIR:
        graph = self._doc.graph
        if not isinstance(graph, FrozenIRGraph):
            raise TypeError("this workflow is a LangGraph script; edit it as code")
        return graph.ir

    # --- builder (every edit goes through spec.edits, the canvas's rules) -----------
    def add_node(
        self,
        node_id: str,
        node: str | BaseNode | Workflow,
        *,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        **config: Any,
    ) -> Workflow:
        """Add a registered node type (by name or instance) or a nested workflow.

        Raises ``EditError`` when ``node_id`` is taken, empty or reserved.
        """
        extra = _attempt_policy(retry, timeout)
        new: BuiltinNode | SubgraphNode
        edits.check_new_id(self.ir, node_id)
        if isinstance(node, Workflow):
            new = SubgraphNode(id=node_id, graph=node.ir.model_copy(deep=True), **extra)
        elif isinstance(node, BaseNode):
            from .nodes import registry

            type_name = next(
                (s.type for s in registry.all_specs() if s.model is type(node)), type(node).__name__
            )
            new = BuiltinNode(
                id=node_id, type=type_name, config=node.model_dump(exclude_defaults=True), **extra
            )
        else:
            new = BuiltinNode(id=node_id, type=node, config=dict(config), **extra)
        return self._edit(edits.add_node, new)

    def add_code_node(
        self,
        node_id: str,
        body: str,
        *,
        config: Mapping[str, Any] | None = None,
        injected: list[str] | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Workflow:
        """Add a code node: ``body`` is the body of ``def run(self, state, config)``."""
        edits.check_new_id(self.ir, node_id)
        node = CodeNode(
            id=node_id,
            body=body,
            config=dict(config or {}),
            injected=list(injected or []),
            **_attempt_policy(retry, timeout),
        )
        return self._edit(edits.add_node, node)

    def add_edge(self, source: str, target: str) -> Workflow:
        """Add ``source → target``; ``"START"``/``"END"`` name the graph's ends.

        An end may name a node added later (as in LangGraph); ``validate`` reports it
        if it never appears.
        """
        return self._edit(edits.add_edge, _sentinel(source), _sentinel(target), pending=True)

    def add_conditional_edges(
        self, source: str, path: str, mapping: Mapping[str, str], default: str | None = None
    ) -> Workflow:
        """Route after ``source`` on the value at the dotted state ``path``."""
        routing = edits.Routing(
            path=path,
            mapping={str(k): _sentinel(v) for k, v in mapping.items()},
            default=_sentinel(default) if default is not None else None,
        )
        return self._edit(
            edits.set_conditional_edge, _sentinel(source), routing, pending=True, replace=False
        )

    def set_entry_point(self, node_id: str) -> Workflow:
        return self._edit(edits.set_entrypoint, node_id, pending=True)

    def remove_node(self, node_id: str) -> Workflow:
        """Remove a node with its edges, routes, position and pinned output."""
        return self._edit(edits.remove_node, node_id)

    def rename_node(self, node_id: str, new_id: str) -> Workflow:
        """Rename a node and every reference to it."""
        return self._edit(edits.rename_node, node_id, new_id)

    def remove_edge(self, source: str, target: str) -> Workflow:
        return self._edit(edits.remove_edge, _sentinel(source), _sentinel(target))

    def set_config(self, node_id: str, **config: Any) -> Workflow:
        """Replace a node's config."""
        return self._edit(edits.set_config, node_id, config)

    def set_position(self, node_id: str, x: float, y: float) -> Workflow:
        """Where the canvas draws a node (layout only)."""
        return self._edit(edits.move, {node_id: Position(x=x, y=y)})

    def edit(self, diffs: list[dict[str, Any]]) -> Workflow:
        """Apply canvas edits (``{"op": "add_edge", ...}``, see ``spec.edits``) all or nothing."""
        edits.apply_edits(self._doc, diffs)
        self._changed()
        return self

    def _edit(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Workflow:
        operation(self._doc, *args, **kwargs)
        self._changed()
        return self

    def replace_document(self, document: WorkflowDocument) -> Workflow:
        """Take ``document`` whole (a re-run ``%%orcheo`` cell): bound canvases redraw.

        Keeping the object keeps every canvas and variable bound to it current; a
        new object would leave them showing, and saving, the old graph.
        """
        self._doc = document.model_copy(deep=True)
        self._changed()
        return self

    def validate(self) -> list[Problem]:
        """Every problem the server would refuse this document for (its triggers too)."""
        from .triggers.config import document_problems

        return document_problems(self._doc)

    # --- listeners (e.g. canvases bound to this workflow) ----------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Tell ``listener`` about document changes and run events; returns unsubscribe."""
        listeners = self.__dict__.setdefault("_listeners", [])
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    def notify(self, kind: str, payload: dict[str, Any]) -> None:
        """Call every listener; one failing listener never breaks the others or a run."""
        for listener in list(self.__dict__.get("_listeners", ())):
            try:
                listener(kind, payload)
            except Exception:
                log.exception("workflow listener failed on %s", kind)

    def _changed(self) -> None:
        self.notify("document", {"origin": None})

    # --- running -----------------------------------------------------------------
    async def _run_on_background(
        self, inputs: Mapping[str, Any], config: Mapping[str, Any] | None
    ) -> RunRecord:
        from . import local

        executor = await local.executor()
        if not self.__dict__.get("_listeners"):
            record = await executor.execute(self._doc, inputs, config=config)
            self._remember_run(record.id)
            return record
        run_id = await executor.submit(self._doc, inputs, config=config)
        self._remember_run(run_id)
        return await self._follow(executor, run_id, 0)

    async def _follow(self, executor: Any, run_id: str, after: int) -> RunRecord:
        """Deliver the run's events after ``after`` to the listeners until it settles."""
        record: RunRecord = await executor.follow(
            run_id, lambda event: self.notify("run_event", event.as_dict()), after=after
        )
        return record

    async def aresume(self, run_id: str, value: Any = None, *, after: int = 0) -> RunResult:
        """Continue a paused run (answer its question, or pass its breakpoint), its events
        after sequence ``after`` going to the listeners (the canvas) as they happen."""
        from . import local

        async def go() -> RunRecord:
            executor = await local.executor()
            await executor.resume(run_id, value)
            return await self._follow(executor, run_id, after)

        return RunResult(await background.run_async(go()))

    def _remember_run(self, run_id: str) -> None:
        runs: list[str] = self.__dict__.setdefault("_run_ids", [])
        runs.insert(0, run_id)
        del runs[_RECENT_RUNS:]

    @property
    def run_ids(self) -> list[str]:
        """Runs started from this object in this process, newest first (for "test node")."""
        return list(self.__dict__.get("_run_ids", ()))

    def run(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """Run to completion (or interrupt); works inside a running notebook loop."""
        return RunResult(
            background.run(self._run_on_background(dict(inputs or {}), config), timeout)
        )

    async def arun(
        self, inputs: Mapping[str, Any] | None = None, *, config: Mapping[str, Any] | None = None
    ) -> RunResult:
        return RunResult(
            await background.run_async(self._run_on_background(dict(inputs or {}), config))
        )

    def __repr__(self) -> str:
        graph = self._doc.graph
        size = f"{len(graph.ir.nodes)} nodes" if isinstance(graph, FrozenIRGraph) else "script"
        return f"<Workflow {self.name!r}: {size}>"


#: How many of its runs a Workflow remembers.
_RECENT_RUNS = 50


def _sentinel(name: str) -> str:
    if name in ("START", START):
        return START
    if name in ("END", END):
        return END
    return name


def resume(run_id: str, value: Any, timeout: float | None = None) -> RunResult:
    """Answer a run's interrupt and wait for it to settle again."""
    from . import local

    async def go() -> RunRecord:
        executor = await local.executor()
        await executor.resume(run_id, value)
        return await executor.wait(run_id)

    return RunResult(background.run(go(), timeout))
