"""LangGraph script graphs: find the StateGraph a script defines, and index its shape.

Guardrails for untrusted scripts (size limit, restricted compilation, time limit)
live in ``ingest/``; this module runs trusted local documents as they are.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import sys
import types
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import CodeType
from typing import Any, get_origin

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from ..spec.legacy import looks_legacy
from ..spec.models import ConditionalEdge, Edge, ScriptIndex
from ..spec.problems import DocumentError, Problem
from .script_scope import mark_graph, script_scope
from .sentinels import from_langgraph


def _problem(message: str) -> DocumentError:
    return DocumentError([Problem("error", "script", message, field="graph.source")])


def check_compiles(graph: StateGraph[Any, Any, Any, Any]) -> None:
    """DocumentError (``graph.source``) when LangGraph cannot compile the script's graph.

    Every surface that takes a script checks this when it reads it (REST import, the
    CLI, ``Workflow.load``), so none accepts a graph that could only fail when run.
    """
    try:
        graph.compile()
    except Exception as exc:
        raise DocumentError.single(
            "graph", f"the graph does not compile: {exc}", field="graph.source"
        ) from None


def _call_entrypoint(name: str, fn: Callable[[], Any]) -> Any:
    """Call the script's graph builder (awaiting an async one); what it raises is a
    problem of the script."""
    try:
        out = fn()
        if inspect.isawaitable(out):
            out = _await(out)
        return out
    except DocumentError:
        raise
    except Exception as exc:
        raise _problem(f"{name}() raised {type(exc).__name__}: {exc}") from None


def _await(awaitable: Any) -> Any:
    """Run an async builder to completion, on a thread of its own: a notebook's or a
    server's event loop may be running in this one."""

    async def wait() -> Any:
        return await awaitable

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wait()).result()


def _returns_graph(fn: Any) -> bool:
    """A function annotated ``-> StateGraph`` (or ``CompiledStateGraph``) that takes no
    required argument: upstream Orcheo counts it as a graph the script defines."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    annotation = signature.return_annotation
    if isinstance(annotation, str):
        named = annotation.split("[")[0].rsplit(".", 1)[-1] in {"StateGraph", "CompiledStateGraph"}
    else:
        origin = get_origin(annotation) or annotation
        named = origin in (StateGraph, CompiledStateGraph)
    return named and all(
        p.default is not inspect.Parameter.empty
        or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        for p in signature.parameters.values()
    )


def _defined_graphs(namespace: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The script's graphs and its own functions annotated to return one."""
    module = namespace.get("__name__")

    def counts(value: Any) -> bool:
        if isinstance(value, StateGraph | CompiledStateGraph):
            return True
        return inspect.isfunction(value) and value.__module__ == module and _returns_graph(value)

    return [(key, value) for key, value in namespace.items() if counts(value)]


def graph_from_namespace(
    namespace: Mapping[str, Any], entrypoint: str | None
) -> StateGraph[Any, Any, Any, Any]:
    """The script's graph: ``entrypoint``, else ``orcheo_workflow`` (a graph or a
    function), else ``build_graph()`` (upstream Orcheo's name), else the one graph
    the script defines: a StateGraph value or a function annotated ``-> StateGraph``
    (sync or async), as upstream finds it."""
    from ..compat.builder import build_graph as legacy_graph
    from ..compat.builder import is_builder
    from ..compat.routers import bind_routers

    if entrypoint:
        if entrypoint not in namespace:
            raise _problem(f"entrypoint {entrypoint!r} is not defined by the script")
        obj = namespace[entrypoint]
        if callable(obj) and not isinstance(obj, StateGraph | CompiledStateGraph):
            obj = _call_entrypoint(entrypoint, obj)
    elif isinstance(namespace.get("orcheo_workflow"), StateGraph | CompiledStateGraph):
        obj = namespace["orcheo_workflow"]
    elif callable(namespace.get("orcheo_workflow")):
        obj = _call_entrypoint("orcheo_workflow", namespace["orcheo_workflow"])
    elif callable(namespace.get("build_graph")) and not is_builder(namespace["build_graph"]):
        # upstream Orcheo's convention (its own builder, when imported, is not the script's)
        obj = _call_entrypoint("build_graph", namespace["build_graph"])
    else:
        found = _defined_graphs(namespace)
        if len(found) != 1:
            names = f" ({', '.join(k for k, _ in found)})" if found else ""
            raise _problem(
                f"script defines {len(found)} graphs{names}; "
                "define orcheo_workflow() or name an entrypoint"
            )
        key, obj = found[0]
        if not isinstance(obj, StateGraph | CompiledStateGraph):
            obj = _call_entrypoint(key, obj)
    if isinstance(obj, CompiledStateGraph):
        obj = obj.builder
    if looks_legacy(obj):
        # An entrypoint that returns upstream's graph config: build it as upstream's
        # ``build_graph(config)`` would.
        obj = legacy_graph(obj)
    if not isinstance(obj, StateGraph):
        raise _problem(f"entrypoint returned {type(obj).__name__}, expected a StateGraph")
    return bind_routers(obj)


def exec_script(
    source: str | CodeType,
    *,
    namespace: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Execute a script as a module that is not ``__main__`` (its main block does not run).

    Without a namespace the script gets a module of its own, registered in
    ``sys.modules`` under a name unique to its text, because pydantic and
    ``typing.get_type_hints`` resolve string annotations through a class's module.
    """
    if namespace is None:
        digest = hashlib.sha256(source.co_code if isinstance(source, CodeType) else source.encode())
        module = types.ModuleType(f"orcheo_script_local_{digest.hexdigest()[:16]}")
        sys.modules[module.__name__] = module
        namespace = module.__dict__
    ns: dict[str, Any] = namespace
    ns.setdefault("__name__", "orcheo_script")
    if "__builtins__" not in ns:
        from ..compat import compat_builtins

        # ``orcheo.*`` resolves to the compatibility namespace, for this script only.
        ns["__builtins__"] = compat_builtins()
    try:
        code = (
            source
            if isinstance(source, CodeType)
            # dont_inherit: this module's ``from __future__ import annotations`` must not
            # turn the script's annotations into strings.
            else compile(source, "<orcheo script>", "exec", dont_inherit=True)
        )
        exec(code, ns)
    except SyntaxError as exc:
        raise _problem(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        raise _problem(f"script raised {type(exc).__name__}: {exc}") from None
    return ns


ScriptLoader = Callable[[str], dict[str, Any]]
_process_loader: ScriptLoader | None = None


def set_script_loader(loader: ScriptLoader | None) -> ScriptLoader | None:
    """Choose how this process executes script documents; returns the previous choice.

    The Jupyter server installs the restricted loader of ``ingest/`` so stored
    scripts run under the rules that admitted them; ``None`` means plain exec.
    """
    global _process_loader
    previous, _process_loader = _process_loader, loader
    return previous


def load_script_graph(
    source: str,
    entrypoint: str | None = None,
    *,
    loader: ScriptLoader | None = None,
) -> StateGraph[Any, Any, Any, Any]:
    from ..compat.frontmatter import read_frontmatter

    entrypoint = entrypoint or read_frontmatter(source).entrypoint
    loader = loader or _process_loader
    try:
        namespace = loader(source) if loader else exec_script(source)
    except SyntaxError as exc:
        raise _problem(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    with script_scope(namespace):
        graph = graph_from_namespace(namespace, entrypoint)
    mark_graph(graph, namespace)  # compiling and running it act for the script too
    return graph


def index_of(graph: StateGraph[Any, Any, Any, Any]) -> ScriptIndex:
    """Nodes and edges of a StateGraph, as the canvas draws them read-only."""
    edges = [
        Edge(source=from_langgraph(s), target=from_langgraph(t)) for s, t in sorted(graph.edges)
    ]
    for starts, end in sorted(graph.waiting_edges):
        edges.extend(Edge(source=from_langgraph(s), target=from_langgraph(end)) for s in starts)
    conditional = []
    for source, branches in graph.branches.items():
        for name, branch in branches.items():
            ends = branch.ends or {}
            conditional.append(
                ConditionalEdge(
                    source=from_langgraph(source),
                    path=name,
                    mapping={str(k): from_langgraph(v) for k, v in ends.items()},
                )
            )
    return ScriptIndex(nodes=list(graph.nodes), edges=edges, conditional_edges=conditional)
