"""``%orcheo debug|state|test|push``: take a node from a run into the notebook and back.

``debug RUN NODE`` inserts a cell holding the state the node received in that
run and the node itself (a code node as an editable ``def``, any other node as
its config dict); running the cell tries the edit on that state. ``push NAME
NODE`` writes the edited function or config back as a new, validated version and
prints what changed. ``test`` runs one node alone; ``state`` loads a node's input.
"""

from __future__ import annotations

import functools
import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

from ..runtime.executor import Executor
from ..runtime.node_input import NodeInput, NoRunReached, input_in, node_input, recent_runs
from ..runtime.single_node import NodeTest
from ..spec.io import loads
from ..spec.models import BuiltinNode, CodeNode, FrozenIRGraph, WorkflowDocument
from .codegen import code_signature, lit, wrap_def
from .errors import OrcheoCellError
from .functions import FunctionError, node_function_body


def function_name(node_id: str) -> str:
    """The notebook name of a node's function (its config is ``<name>_config``)."""
    name = re.sub(r"\W", "_", node_id)
    if not name.isidentifier() or keyword.iskeyword(name):
        name = f"node_{name}"
    return name


def find_node(doc: WorkflowDocument, node_id: str) -> BuiltinNode | CodeNode:
    if not isinstance(doc.graph, FrozenIRGraph):
        raise OrcheoCellError(f"workflow {doc.name!r} is a script: its nodes are not editable")
    for node in doc.graph.ir.nodes:
        if node.id == node_id and isinstance(node, BuiltinNode | CodeNode):
            return node
    ids = ", ".join(n.id for n in doc.graph.ir.nodes)
    raise OrcheoCellError(f"workflow {doc.name!r} has no node {node_id!r} (nodes: {ids})")


def testable_node(doc: WorkflowDocument, node_id: str) -> str:
    """The node ``%orcheo test`` runs: a drawn one, or a script's (alone, as LangGraph calls it)."""
    if isinstance(doc.graph, FrozenIRGraph):
        return find_node(doc, node_id).id
    from ..runtime.single_node import NodeTestError, check_testable

    try:
        check_testable(doc, node_id)
    except NodeTestError as exc:
        raise OrcheoCellError(f"workflow {doc.name!r}: {exc}") from None
    return node_id


async def run_document(executor: Executor, run_id: str) -> WorkflowDocument:
    """The exact document version a run executed."""
    record = await executor.get_run(run_id)
    return loads(await executor.store.get_document(record.checksum))


async def input_of(executor: Executor, run_id: str, node_id: str) -> NodeInput:
    return await node_input(executor, run_id, node_id)


async def default_input(executor: Executor, doc: WorkflowDocument, node_id: str) -> NodeInput:
    """The node's input in the latest run that reached it."""
    runs = functools.partial(recent_runs, executor, doc.id)
    try:
        return await input_in(executor, node_id, None, runs, workflow=repr(doc.name), document=doc)
    except NoRunReached as exc:
        hint = "run it first, or pass --run RUN_ID or --state-var VAR"
        raise OrcheoCellError(f"{exc}: {hint}") from None


def debug_cell(doc: WorkflowDocument, node: BuiltinNode | CodeNode, run_id: str) -> str:
    """The cell ``%orcheo debug`` inserts."""
    name = function_name(node.id)
    quoted = doc.name if re.fullmatch(r"[\w.-]+", doc.name) else json.dumps(doc.name)
    lines = []
    if isinstance(node, CodeNode):
        lines += [
            f"# Debug code node {node.id!r} of {doc.name!r}: `state` is what it received in "
            f"run {run_id[:8]}.",
            f"# Edit {name}() and run this cell to try it; `%orcheo push {quoted} {node.id}` "
            "stores it as a new version.",
            "from types import SimpleNamespace",
            "",
            f"state = %orcheo state {run_id} {node.id}",
        ]
        fields = {k: node.config.get(k) for k in node.injected}
        lines.append(f"self = SimpleNamespace(node_id={node.id!r}, **{lit(fields, 0, 32)})")
        lines.append("config = {'configurable': {}}")
        lines.append("")
        is_async = code_signature(node)[1]
        lines += wrap_def(name, ["self", "state", "config"], node.body, is_async).split("\n")
        lines.append("")
        call = f"{name}(self, state, config)"
        lines.append(f"await {call}" if is_async else call)
    else:
        lines += [
            f"# Debug node {node.id!r} ({node.type}) of {doc.name!r}: `state` is what it "
            f"received in run {run_id[:8]}.",
            f"# Edit {name}_config and run this cell to test it; `%orcheo push {quoted} "
            f"{node.id}` stores it as a new version.",
            f"state = %orcheo state {run_id} {node.id}",
            f"{name}_config = {lit(dict(node.config), 0, len(name) + 10)}",
            f"%orcheo test {quoted} {node.id} --state-var state --config-var {name}_config",
        ]
    return "\n".join(lines)


def with_config(doc: WorkflowDocument, node_id: str, config: Any) -> WorkflowDocument:
    if not isinstance(config, Mapping):
        raise OrcheoCellError(f"the config must be a dict, got {type(config).__name__}")
    return _replace_node(doc, node_id, {"config": dict(config)})


def with_body(doc: WorkflowDocument, node_id: str, fn: Any) -> WorkflowDocument:
    try:
        body = node_function_body(fn)
    except FunctionError as exc:
        raise OrcheoCellError(exc.message) from None
    return _replace_node(doc, node_id, {"body": body})


def _replace_node(doc: WorkflowDocument, node_id: str, changes: dict[str, Any]) -> WorkflowDocument:
    """A copy of ``doc`` with the node's fields changed, validated as a whole document."""
    from ..spec.io import document_from_data, to_data

    data = to_data(doc)
    for node in data["graph"]["ir"]["nodes"]:
        if node["id"] == node_id:
            node.update(changes)
    return document_from_data(data)


def report(result: NodeTest) -> str:
    took = f"{result.duration_ms:.1f} ms"
    if result.trace_id is not None:  # where to find its spans (a collector, or the trace API)
        took += f" · trace {result.trace_id}"
    if result.error is not None:
        return f"✗ {result.node_id} failed · {took}\n{result.error}"
    pinned = " (pinned output)" if result.pinned else ""
    shown = json.dumps(result.output, indent=2, ensure_ascii=False, default=str)
    return f"✓ {result.node_id} · {took}{pinned}\n{shown}"
