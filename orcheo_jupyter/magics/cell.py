"""Turn the body of a ``%%orcheo NAME`` cell into a validated workflow document.

Two kinds of body: Python that builds the graph with the ``workflow`` (alias
``graph``) object, or the document itself as JSON or YAML. Whatever goes wrong
is reported as ``OrcheoCellError`` problems carrying the cell line.
"""

from __future__ import annotations

import io
import itertools
import json
import linecache
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..spec.io import read_document
from ..spec.models import END, START
from ..spec.problems import DocumentError, Problem
from ..workflow import Workflow
from .builder import BuilderError, CellBuilder
from .code_lines import CodeOrigin
from .errors import CellProblem, OrcheoCellError, source_line

Format = Literal["python", "json", "yaml"]
_counter = itertools.count(1)
_EDGE_FIELD = re.compile(r"^(conditional_edges|edges)\[(\d+)\]")


@dataclass
class BuiltCell:
    """The workflow a cell built, and warnings worth showing under it."""

    workflow: Workflow
    warnings: list[CellProblem] = field(default_factory=list)
    #: code node id -> where its function was written (errors cite those lines)
    origins: dict[str, CodeOrigin] = field(default_factory=dict)


def cell_filename(name: str) -> str:
    """A unique pseudo-file per cell run, registered with linecache for ``inspect``."""
    return f"<orcheo-cell {name} #{next(_counter)}>"


def build_cell(
    source: str,
    name: str,
    fmt: Format = "python",
    namespace: Mapping[str, Any] | None = None,
    *,
    first_line: int = 1,
) -> BuiltCell:
    """The workflow the cell describes; OrcheoCellError with cell lines when it cannot.

    ``first_line`` is the cell line of the source's first line: 2 for the body of a
    ``%%orcheo`` cell, whose own first line is the magic. Every line reported (and
    every line a code node's error cites later) counts as the cell's editor does.
    """
    padded = "\n" * max(first_line - 1, 0) + source
    if fmt == "python":
        return _from_python(padded, name, namespace or {}, script=source)
    return _from_text(padded, name, fmt)


# --- Python builder cells -------------------------------------------------------------
def _from_python(source: str, name: str, namespace: Mapping[str, Any], *, script: str) -> BuiltCell:
    filename = cell_filename(name)
    # Lines split on \n only, as the compiler and tokenize count them.
    lines = io.StringIO(source).readlines()
    linecache.cache[filename] = (len(source), None, lines, filename)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno
        raise OrcheoCellError(
            [CellProblem(f"syntax error: {exc.msg}", line, source_line(source, line))]
        ) from None
    from langgraph.types import interrupt

    from ..compat import compat_builtins  # LangGraph: loaded by the first cell, not %load_ext

    builder = CellBuilder(name, filename)
    scope = {
        **namespace,
        # ``from orcheo.nodes.logic import ...`` works in cells (see compat/).
        "__builtins__": compat_builtins(),
        "workflow": builder,
        "graph": builder,
        "START": START,
        "END": END,
        "interrupt": interrupt,
    }
    try:
        exec(code, scope)
    except OrcheoCellError:
        raise
    except BuilderError as exc:
        raise OrcheoCellError(
            [CellProblem(exc.message, exc.line, source_line(source, exc.line))]
        ) from None
    except Exception as exc:
        line = _cell_line(exc, filename)
        message = f"{type(exc).__name__}: {exc}"
        raise OrcheoCellError([CellProblem(message, line, source_line(source, line))]) from None
    if not builder.ir.nodes and (built := _script_cell(script, name, namespace, scope)):
        return built
    if not builder.ir.nodes:
        raise OrcheoCellError(
            "the cell added no nodes: build the graph with the `workflow` object, e.g. "
            'workflow.add_node("hello", "SetVariableNode", variables={...}) '
            "(a StateGraph of your own is not captured)"
        )
    problems = builder.workflow.validate()
    errors, warnings = _split(problems, lambda p: _builder_line(builder, p), source, paths=False)
    warnings += [CellProblem(m, line, source_line(source, line)) for line, m in builder.warnings]
    if errors:
        raise OrcheoCellError(errors)
    return BuiltCell(builder.workflow, warnings, dict(builder.code_origins))


def _script_cell(
    source: str, name: str, namespace: Mapping[str, Any], scope: dict[str, Any]
) -> BuiltCell | None:
    """A cell written as a LangGraph script (upstream Orcheo style), as a workflow.

    Only what the cell itself defined counts (not the notebook's other graphs):
    ``orcheo_workflow()``, ``build_graph()`` or one StateGraph.
    """
    from langgraph.graph import StateGraph

    own = {
        k: v
        for k, v in scope.items()
        if (k not in namespace or namespace[k] is not v) and not isinstance(v, CellBuilder)
    }
    defines = (
        any(isinstance(v, StateGraph) for v in own.values())
        or callable(own.get("build_graph"))
        or callable(own.get("orcheo_workflow"))
    )
    if not defines:
        return None
    from ..compat.documents import script_document

    try:
        doc = script_document(source, name, namespace=own)
    except DocumentError as exc:
        raise OrcheoCellError([CellProblem(p.message, None, None) for p in exc.problems]) from None
    return BuiltCell(Workflow.from_document(doc))


def _cell_line(exc: BaseException, filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _builder_line(builder: CellBuilder, problem: Problem) -> int | None:
    if problem.node is not None and problem.node in builder.node_lines:
        return builder.node_lines[problem.node]
    match = _EDGE_FIELD.match(problem.field or "")
    if match:
        lines = builder.edge_lines if match.group(1) == "edges" else builder.cond_lines
        index = int(match.group(2))
        return lines[index] if index < len(lines) else None
    if problem.field == "entrypoint":
        return builder.entry_line
    return None


def _split(
    problems: list[Problem], line_of: Any, source: str, *, paths: bool = True
) -> tuple[list[CellProblem], list[CellProblem]]:
    """Errors and warnings with their lines; ``paths=False`` drops edge field paths,
    which say nothing a reader of builder code needs once the line is shown."""
    errors: list[CellProblem] = []
    warnings: list[CellProblem] = []
    for problem in problems:
        line = line_of(problem)
        if not paths and line is not None and _EDGE_FIELD.match(problem.field or ""):
            problem = Problem(problem.severity, problem.code, problem.message, problem.node)
        item = CellProblem(problem.describe(), line, source_line(source, line))
        (errors if problem.severity == "error" else warnings).append(item)
    errors.sort(key=lambda p: (p.line is None, p.line or 0))
    return errors, warnings


# --- JSON / YAML document cells ---------------------------------------------------------
def _from_text(source: str, name: str, fmt: Format) -> BuiltCell:
    data = _parse_text(source, fmt)
    if not isinstance(data, dict):
        raise OrcheoCellError(
            f"the cell must hold a {fmt.upper()} object (a workflow document), "
            f"not {type(data).__name__}"
        )

    def line_of(problem: Problem) -> int | None:
        return _text_line(source, problem, fmt)

    if "graph" in data:
        data = {**data, "name": name}
    try:
        doc, notices = read_document(data, name=name)
    except DocumentError as exc:
        errors, _ = _split(exc.problems, line_of, source)
        raise OrcheoCellError(errors) from None
    wf = Workflow.from_document(doc.model_copy(update={"name": name}))
    errors, warnings = _split(wf.validate(), line_of, source)
    if errors:
        raise OrcheoCellError(errors)
    # Legacy JSON: say what the conversion changed, as the REST API does.
    return BuiltCell(wf, [CellProblem(n) for n in notices] + warnings)


def _parse_text(source: str, fmt: Format) -> Any:
    if fmt == "json":
        try:
            return json.loads(source)
        except json.JSONDecodeError as exc:
            raise OrcheoCellError(
                [
                    CellProblem(
                        f"invalid JSON at column {exc.colno}: {exc.msg}",
                        exc.lineno,
                        source_line(source, exc.lineno),
                    )
                ]
            ) from None
    import yaml

    try:
        return yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise OrcheoCellError(
            [CellProblem(f"invalid YAML: {reason}", line, source_line(source, line))]
        ) from None


def _text_line(source: str, problem: Problem, fmt: Format) -> int | None:
    """Best effort: the line that declares the problem's node in JSON/YAML text."""
    node = problem.node
    if node is None:
        match = re.search(r"nodes\[(\d+)\]", problem.field or "")
        if not match:
            return None
        return _nth_node_line(source, int(match.group(1)), fmt)
    node_id = re.escape(node.rsplit("/", 1)[-1])
    if fmt == "json":
        pattern = rf'"id"\s*:\s*"{node_id}"'
    else:
        pattern = rf"""\bid\s*:\s*['"]?{node_id}['"]?\s*(#.*)?$"""
    for number, text in enumerate(source.splitlines(), 1):
        if re.search(pattern, text):
            return number
    return None


def _nth_node_line(source: str, index: int, fmt: Format) -> int | None:
    pattern = r'"kind"\s*:' if fmt == "json" else r"\bkind\s*:"
    hits = [n for n, text in enumerate(source.splitlines(), 1) if re.search(pattern, text)]
    return hits[index] if index < len(hits) else None
