"""What a ``%%orcheo`` cell may read from the rest of the notebook, without running it.

A builder cell often uses names other cells define: a module imported at the
top, a constant, a papermill parameter. Export reproduces exactly the safe part
of that: top-level ``import`` statements and assignments of literals
(``ast.literal_eval``), in notebook order. Anything computed is left out; if a
cell needs it, the build fails with a NameError and export says which cell set
the name by running code.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass, field
from typing import Any

from .errors import ExportError, ExportProblem
from .notebook import Cell, parse_cell

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"  # papermill's cell of overrides


@dataclass
class Namespace:
    """Names a builder cell may use, and names other cells set by running code."""

    values: dict[str, Any] = field(default_factory=dict)
    computed: dict[str, int] = field(default_factory=dict)  # name -> cell number

    def learn(self, cell: Cell) -> None:
        tree = parse_cell(cell)
        if tree is None:
            return
        for stmt in tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt, cell)
                continue
            if _defined(stmt):  # a def or class: its own body binds nothing at top level
                for name in _defined(stmt):
                    self.values.pop(name, None)
                    self.computed[name] = cell.number
                continue
            for name, value, ok in _assignments(stmt):
                if ok:
                    self.values[name] = value
                    self.computed.pop(name, None)
                else:
                    self.values.pop(name, None)
                    self.computed[name] = cell.number

    def _import(self, stmt: ast.Import | ast.ImportFrom, cell: Cell) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                module = _module(alias.name)
                if alias.asname:
                    self._bind(alias.asname, module, cell)
                else:
                    top = alias.name.split(".")[0]
                    self._bind(top, _module(top) if module is not None else None, cell)
            return
        if stmt.level or stmt.module is None:
            return  # relative imports have no meaning outside a package
        base = _module(stmt.module)
        for alias in stmt.names:
            if alias.name == "*":
                continue
            value = getattr(base, alias.name, None) if base is not None else None
            if value is None and base is not None:
                value = _module(f"{stmt.module}.{alias.name}")
            self._bind(alias.asname or alias.name, value, cell)

    def _bind(self, name: str, value: Any, cell: Cell) -> None:
        if value is None:
            self.values.pop(name, None)
            self.computed[name] = cell.number
        else:
            self.values[name] = value
            self.computed.pop(name, None)


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except Exception:  # not installed here, or failing on import: the name stays unknown
        return None


def _defined(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    return []


def _assignments(stmt: ast.stmt) -> list[tuple[str, Any, bool]]:
    """(name, value, is_literal) for each plain name a top-level statement assigns."""
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    elif isinstance(stmt, ast.AugAssign):
        return [(n, None, False) for n in _names(stmt.target)]
    else:
        return [(n, None, False) for n in _stored_names(stmt)]
    try:
        literal = ast.literal_eval(value)
        ok = True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        literal, ok = None, False
    out: list[tuple[str, Any, bool]] = []
    for target in targets:
        if isinstance(target, ast.Name):
            out.append((target.id, literal, ok))
        else:
            out += [(n, None, False) for n in _names(target)]
    return out


def _names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _stored_names(stmt: ast.stmt) -> list[str]:
    """Names a compound statement (for, with, if, try...) may rebind at top level."""
    return [
        n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    ]


def notebook_namespace(cells: list[Cell]) -> Namespace:
    """The namespace built from these cells (the ones before a ``%%orcheo`` cell)."""
    namespace = Namespace()
    for cell in cells:
        if cell.is_code and not cell.is_cell_magic:
            namespace.learn(cell)
    return namespace


# --- papermill parameters ---------------------------------------------------------------
@dataclass(frozen=True)
class Parameters:
    """Default run inputs from the cell tagged ``parameters`` (papermill's convention)."""

    values: dict[str, Any]
    cell: int | None = None


def _json_value(value: Any) -> Any:
    """Literal values as JSON has them (tuples become lists); None when not representable."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinity are not JSON")
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("JSON object keys must be strings")
        return {k: _json_value(v) for k, v in value.items()}
    raise ValueError(f"a {type(value).__name__} is not a JSON value")


def _parameter_cell(cell: Cell) -> dict[str, Any]:
    tree = parse_cell(cell)
    if tree is None:
        raise ExportError(
            [ExportProblem("the parameters cell is not valid Python", cell.number, "parameters")]
        )
    values: dict[str, Any] = {}
    problems: list[ExportProblem] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare comment string
        assigned = _assignments(stmt)
        if not assigned or any(not isinstance(t, ast.Name) for t in getattr(stmt, "targets", [])):
            problems.append(
                ExportProblem(
                    "only `name = literal` assignments can be read as parameters, not "
                    f"`{ast.unparse(stmt)[:60]}`",
                    cell.number,
                    "parameters",
                    stmt.lineno,
                )
            )
            continue
        for name, value, ok in assigned:
            if not ok:
                problems.append(
                    ExportProblem(
                        f"parameter {name!r} is not a literal (export reads parameters with "
                        "ast.literal_eval and runs no code): "
                        f"`{ast.unparse(stmt)[:60]}`",
                        cell.number,
                        "parameters",
                        stmt.lineno,
                    )
                )
                continue
            try:
                values[name] = _json_value(value)
            except ValueError as exc:
                problems.append(
                    ExportProblem(
                        f"parameter {name!r} cannot be a run input: {exc}",
                        cell.number,
                        "parameters",
                        stmt.lineno,
                    )
                )
    if problems:
        raise ExportError(problems)
    return values


def parameters(cells: list[Cell]) -> Parameters:
    """The first ``parameters`` cell, overridden by papermill's ``injected-parameters``."""
    values: dict[str, Any] = {}
    first: int | None = None
    tagged = [c for c in cells if c.is_code and PARAMETERS_TAG in c.tags]
    if tagged:
        first = tagged[0].number
        values.update(_parameter_cell(tagged[0]))
    for cell in cells:
        if cell.is_code and INJECTED_TAG in cell.tags:
            values.update(_parameter_cell(cell))
    return Parameters(values, first)
