"""Document -> the builder code of a ``%%orcheo NAME`` cell (the inverse of ``cell.py``).

Running the generated cell rebuilds the identical document, so canvas, code and
JSON round-trip without loss: code -> document -> code -> document yields the same
document. Code nodes become ``def`` functions (checked to read back to the same
body; odd bodies fall back to ``add_code_node`` with the body as a string).
The document id is left out: the magic finds the stored workflow by name, and a
copied cell with a new name must not overwrite the original.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import re
import shlex
from typing import Any

from ..common.indentation import indent
from ..spec.io import to_data
from ..spec.models import (
    END,
    STANDARD_STATE,
    START,
    BuiltinNode,
    Canvas,
    CodeNode,
    FrozenIRGraph,
    GraphIR,
    SubgraphNode,
    WorkflowDocument,
)
from .functions import body_of_def

WIDTH = 96
_NODE_KEYWORDS = frozenset({"retry", "timeout", "config", "injected"})
_RESERVED = frozenset(
    {"workflow", "graph", "START", "END", "interrupt", "self", "state", "config"}
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
)
_LINE_BREAKS = {"\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def lit(value: Any, indent: int = 0, used: int = 0) -> str:
    """A Python literal for JSON data, wrapped black-style when it does not fit.

    ``indent`` is the indentation of the line; ``used`` what already stands on it.
    """
    flat = _flat(value)
    fits = indent + used + len(flat) + 1 <= WIDTH
    if fits or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = f"{_flat(k)}: "
            items.append(f"{pad}{key}{lit(v, indent + 4, len(key))},")
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{lit(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _flat(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in _LINE_BREAKS.items():
            text = text.replace(char, escape)
        return text
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    raise TypeError(f"not JSON data: {type(value).__name__}")


def _target(name: str) -> str:
    return "START" if name == START else "END" if name == END else _flat(name)


def _call(target: str, args: list[str], kwargs: list[tuple[str, Any]]) -> str:
    """``target(args, k=v)`` on one line when it fits, else one argument per line."""
    parts = [*args, *(f"{k}={_flat(v)}" for k, v in kwargs)]
    flat = f"{target}({', '.join(parts)})"
    if len(flat) <= WIDTH:
        return flat
    lines = [f"    {a}," for a in args] + [f"    {k}={lit(v, 4, len(k) + 1)}," for k, v in kwargs]
    return f"{target}(\n" + "\n".join(lines) + "\n)"


class _Names:
    """Python names for functions and sub-builders that clash with nothing in the cell."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(_RESERVED) | taken

    def make(self, base: str, prefix: str = "") -> str:
        name = re.sub(r"\W", "_", base) or "node"
        name = prefix + name
        if name[0].isdigit() or name in self.taken:
            name = f"node_{name}" if not prefix else name
        candidate, n = name, 2
        while candidate in self.taken or not candidate.isidentifier():
            candidate = f"{name}_{n}"
            n += 1
        self.taken.add(candidate)
        return candidate


def _body_names(ir: GraphIR) -> set[str]:
    names: set[str] = set()
    for node in ir.nodes:
        if isinstance(node, CodeNode):
            try:
                tree = ast.parse(wrap_def("run", ["self", "state", "config"], node.body, False))
            except SyntaxError:
                continue
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        elif isinstance(node, SubgraphNode):
            names |= _body_names(node.graph)
    return names


def wrap_def(name: str, params: list[str], body: str, is_async: bool) -> str:
    head = f"{'async ' if is_async else ''}def {name}({', '.join(params)}):"
    return head + "\n" + indent(body or "pass")


def code_signature(node: CodeNode) -> tuple[list[str], bool]:
    try:
        tree = ast.parse(wrap_def("run", ["self", "state", "config"], node.body, False))
        is_async = any(
            isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for n in ast.walk(tree)
        )
    except SyntaxError:
        try:
            tree = ast.parse(wrap_def("run", ["self", "state", "config"], node.body, True))
        except SyntaxError:
            return ["self", "state", "config"], False
        is_async = True
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    params = ["state"]
    if node.injected or "self" in used:
        params.insert(0, "self")
    if "config" in used:
        params.append("config")
    return params, is_async


class _Emitter:
    def __init__(self, doc: WorkflowDocument) -> None:
        graph = doc.graph
        assert isinstance(graph, FrozenIRGraph)
        self.graph = graph
        self.names = _Names(_body_names(graph.ir))
        self.out: list[str] = []

    def blank(self, count: int = 1) -> None:
        while self.out and not self.out[-1]:
            self.out.pop()
        if self.out:
            self.out.extend([""] * count)

    def emit(self, text: str) -> None:
        self.out.extend(text.split("\n"))

    def graph_ir(self, ir: GraphIR, var: str, top: bool) -> None:
        for node in ir.nodes:
            self.node(node, var)
        if ir.nodes:
            self.blank()
        for edge in ir.edges:
            self.emit(f"{var}.add_edge({_target(edge.source)}, {_target(edge.target)})")
        for cond in ir.conditional_edges:
            mapping = (
                "{" + ", ".join(f"{_flat(k)}: {_target(v)}" for k, v in cond.mapping.items()) + "}"
            )
            args = [_flat(cond.source), _flat(cond.path), mapping]
            if cond.default is not None:
                args.append(f"default={_target(cond.default)}")
            self.emit(_call(f"{var}.add_conditional_edges", args, []))
        entry = self.graph.entrypoint if top else ir.entrypoint
        if ir.entrypoint is not None and ir.entrypoint == entry:
            self.emit(f"{var}.set_entry_point({_target(ir.entrypoint)})")
        else:
            if ir.entrypoint is not None:
                self.emit(f"{var}.ir.entrypoint = {_flat(ir.entrypoint)}")
            if top and self.graph.entrypoint is not None:
                self.emit(f"{var}.document.graph.entrypoint = {_flat(self.graph.entrypoint)}")
        if ir.state_ref != STANDARD_STATE:
            self.emit(f"{var}.ir.state_ref = {_flat(ir.state_ref)}")

    def _node_kwargs(self, node: Any) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        if node.retry is not None:
            out.append(("retry", node.retry.model_dump(mode="json")))
        if node.timeout is not None:
            out.append(("timeout", node.timeout))
        return out

    def node(self, node: Any, var: str) -> None:
        if isinstance(node, BuiltinNode):
            self.builtin(node, var)
        elif isinstance(node, CodeNode):
            self.code(node, var)
        else:
            self.subgraph(node, var)

    def builtin(self, node: BuiltinNode, var: str) -> None:
        config = dict(node.config)
        kwargs: list[tuple[str, Any]]
        if all(_keyword_safe(k) for k in config):
            kwargs = list(config.items())
        else:
            kwargs = [("config", config)]
        args = [_flat(node.id), _flat(node.type)]
        self.emit(_call(f"{var}.add_node", args, kwargs + self._node_kwargs(node)))

    def code(self, node: CodeNode, var: str) -> None:
        params, is_async = code_signature(node)
        name = self.names.make(node.id)
        text = wrap_def(name, params, node.body, is_async)
        extra = self._node_kwargs(node)
        config = dict(node.config)
        settings: list[tuple[str, Any]]
        if list(config) == node.injected and all(_keyword_safe(k) for k in config):
            settings = list(config.items())
        else:
            settings = [("config", config)] if config else []
            if config or node.injected:
                settings.append(("injected", list(node.injected)))
        if body_of_def(text) != node.body:
            self.names.taken.discard(name)
            options: list[tuple[str, Any]] = [("config", config)] if config else []
            if node.injected:
                options.append(("injected", list(node.injected)))
            args = [_flat(node.id), _flat(node.body)]
            self.emit(_call(f"{var}.add_code_node", args, options + extra))
            return
        self.blank(2)
        self.emit(text)
        self.blank(2)
        self.emit(_call(f"{var}.add_node", [_flat(node.id), name], settings + extra))

    def subgraph(self, node: SubgraphNode, var: str) -> None:
        sub = self.names.make(node.id, prefix="sub_")
        self.blank()
        self.emit(f"{sub} = {var}.subgraph()")
        self.graph_ir(node.graph, sub, top=False)
        self.emit(_call(f"{var}.add_node", [_flat(node.id), sub], self._node_kwargs(node)))
        self.blank()


def _keyword_safe(key: str) -> bool:
    return key.isidentifier() and not keyword.iskeyword(key) and key not in _NODE_KEYWORDS


def cell_header(name: str, fmt: str | None = None) -> str:
    quoted = name if re.fullmatch(r"[\w.-]+", name) else shlex.quote(name)
    return f"%%orcheo {quoted}" + (f" --format {fmt}" if fmt else "")


def document_to_code(doc: WorkflowDocument, *, header: bool = True) -> str:
    """The ``%%orcheo`` cell that rebuilds ``doc`` (its id aside)."""
    if not isinstance(doc.graph, FrozenIRGraph):
        data = to_data(doc)
        data.pop("id", None)
        data.pop("name", None)
        body = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
        return (cell_header(doc.name, "json") + "\n" if header else "") + body + "\n"
    em = _Emitter(doc)
    if doc.description:
        em.emit(f"workflow.description = {_flat(doc.description)}")
    if doc.tags:
        em.emit(f"workflow.tags = {lit(list(doc.tags), 0, 16)}")
    if doc.inputs_schema:
        em.emit(f"workflow.inputs_schema = {lit(doc.inputs_schema, 0, 25)}")
    em.blank()
    em.graph_ir(em.graph.ir, "workflow", top=True)
    if doc.triggers:
        em.blank()
        triggers = [t.model_dump(mode="json") for t in doc.triggers]
        em.emit(f"workflow.triggers = {lit(triggers, 0, 20)}")
    if doc.canvas.model_dump() != Canvas().model_dump():
        em.blank()
        em.emit("# Layout on the canvas: positions only, it never changes what runs.")
        em.emit(f"workflow.canvas = {lit(doc.canvas.model_dump(mode='json'), 0, 18)}")
    em.blank()
    while em.out and not em.out[-1]:
        em.out.pop()
    code = "\n".join(em.out) + "\n"
    return (cell_header(doc.name) + "\n" if header else "") + code
