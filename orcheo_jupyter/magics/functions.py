"""Plain Python functions become code nodes: their body, with parameters mapped.

A code node stores only the body of ``def run(self, state, config)``. A function
written in a cell (``def shout(s): return s["x"].upper()``) becomes that body plus
short prologue lines that keep it working unchanged:

- positional parameters map onto ``state`` and ``config`` (``s = state``);
- keyword-only parameters are config fields injected as ``self.<name>``;
- modules and importable objects it reads from the notebook become import lines;
- simple constants it reads (numbers, strings, ``END``) become assignments.

Anything else it reads from outside (a helper defined in the notebook, a mutable
global) cannot travel with the node, so it is an error naming the line.
"""

from __future__ import annotations

import ast
import builtins
import dis
import inspect
import io
import linecache
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..common.dotted import route_key
from ..common.indentation import inside_strings
from ..spec.models import END, START

_SECRET_NAME = re.compile(r"secret|token|passw|api_?key|credential|private_?key", re.IGNORECASE)
#: Marks a keyword-only parameter without a default.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
_ROLES = ("state", "config")
_FuncNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class FunctionError(Exception):
    """A function that cannot become a code node; ``lineno`` is in ``filename``."""

    def __init__(self, message: str, filename: str | None = None, lineno: int | None = None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.lineno = lineno


@dataclass(frozen=True)
class FunctionBody:
    """What a function contributes to a code node."""

    name: str
    body: str
    kwonly: dict[str, Any]  # keyword-only parameter -> default (MISSING when none)
    returns: list[str] | None  # every value it returns, when all are literals
    filename: str
    lineno: int
    warnings: list[tuple[int | None, str]] = field(default_factory=list)
    #: Lines generated before the written body (imports, constants, parameter mapping).
    prologue: int = 0
    #: The line of ``filename`` holding the first written line of the body.
    first_line: int = 0


def _source_of(fn: types.FunctionType) -> tuple[str, list[str]]:
    filename = fn.__code__.co_filename
    lines = linecache.getlines(filename, fn.__globals__)
    if not lines:
        raise FunctionError(
            f"cannot read the source of function {fn.__name__!r}; define it in a notebook "
            "cell or a Python file",
            filename,
            fn.__code__.co_firstlineno,
        )
    return filename, lines


def _find(tree: ast.AST, fn: types.FunctionType, filename: str) -> _FuncNode:
    first = fn.__code__.co_firstlineno
    found: list[_FuncNode] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.__name__:
            starts = [node.lineno] + [d.lineno for d in node.decorator_list]
            if first in starts:
                found.append(node)
        elif isinstance(node, ast.Lambda) and fn.__name__ == "<lambda>" and node.lineno == first:
            found.append(node)
    if len(found) > 1:
        names = list(fn.__code__.co_varnames[: _arg_count(fn.__code__)])
        found = [n for n in found if [a.arg for a in _all_args(n.args)] == names]
    if len(found) != 1:
        what = "lambdas" if fn.__name__ == "<lambda>" else "definitions"
        raise FunctionError(
            f"cannot find the source of {fn.__name__!r} (several {what} on line {first}?); "
            "use a def",
            filename,
            first,
        )
    return found[0]


def _arg_count(code: types.CodeType) -> int:
    return code.co_argcount + code.co_kwonlyargcount


def _all_args(args: ast.arguments) -> list[ast.arg]:
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> str:
    """The body's source as written, dedented, comments included."""
    return _body_span(node, lines)[0]


def _body_span(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> tuple[str, int]:
    """The body's source as written, and the source line its first line comes from."""
    inside = inside_strings("".join(lines))
    first = node.body[0]
    indent = first.col_offset
    begin = first.lineno
    if begin > node.lineno:
        row = begin - 1
        while row > node.lineno and row not in inside:
            text = lines[row - 1].strip()
            if text and not text.startswith("#"):
                break
            row -= 1
        begin = row + 1
    end = node.end_lineno or first.lineno
    out = []
    for row in range(begin, end + 1):
        text = lines[row - 1].rstrip("\r\n")
        if row in inside:
            out.append(text)
        elif row == node.lineno:  # one-line def: the body follows the colon
            out.append(text[indent:].rstrip())
        else:
            text = text.rstrip()
            out.append(text[indent:] if not text[:indent].strip() else text.lstrip())
    while out and not out[0].strip():
        out.pop(0)
        begin += 1
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out), begin


def _literal_returns(node: _FuncNode) -> list[str] | None:
    """Route values a router returns, when every return is a literal (else None)."""
    values: list[ast.expr | None] = []
    if isinstance(node, ast.Lambda):
        values.append(node.body)
    else:
        stack: list[ast.AST] = list(node.body)
        while stack:
            item = stack.pop()
            if isinstance(item, ast.Return):
                values.append(item.value)
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                stack.extend(ast.iter_child_nodes(item))
    out: list[str] = []
    while values:
        value = values.pop(0)
        if isinstance(value, ast.IfExp):
            values += [value.body, value.orelse]
        elif value is None:
            out.append("null")
        elif isinstance(value, ast.Constant) and isinstance(value.value, str | bool | int):
            out.append(route_key(value.value))
        elif isinstance(value, ast.Name) and value.id in ("END", "START"):
            out.append(END if value.id == "END" else START)
        else:
            return None
    return list(dict.fromkeys(out)) or None


def _prologue_params(
    fn: types.FunctionType, node: _FuncNode, filename: str
) -> tuple[list[str], dict[str, Any]]:
    args = node.args
    if args.vararg or args.kwarg:
        raise FunctionError(
            f"function {fn.__name__!r} takes *args/**kwargs; a code node function takes "
            "(state[, config]) and keyword-only config fields",
            filename,
            node.lineno,
        )
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if positional and positional[0] == "self":
        positional = positional[1:]
    if len(positional) > len(_ROLES):
        raise FunctionError(
            f"function {fn.__name__!r} takes {len(positional)} positional parameters; a code "
            f"node passes (state, config) — make {positional[2]!r} keyword-only (after *) to "
            "read it from the node's config",
            filename,
            node.lineno,
        )
    lines = []
    renames = [(p, r) for p, r in zip(positional, _ROLES, strict=False) if p != r]
    if renames:
        lines.append(f"{', '.join(p for p, _ in renames)} = {', '.join(r for _, r in renames)}")
    defaults = fn.__kwdefaults__ or {}
    kwonly = {a.arg: defaults.get(a.arg, MISSING) for a in args.kwonlyargs}
    lines += [f"{name} = self.{name}" for name in kwonly]
    return lines, kwonly


def _constant(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | str | bytes):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, tuple | frozenset):
        return all(_constant(v) for v in value)
    return False


def _importable(obj: Any) -> tuple[str, str] | None:
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(qual, str):
        return None
    if module in ("__main__", "builtins") or "." in qual or "<" in qual:
        return None
    loaded = sys.modules.get(module)
    if loaded is None or getattr(loaded, qual, None) is not obj:
        return None
    return module, qual


def _globals_used(code: types.CodeType) -> dict[str, int | None]:
    """Global names the function (and what it nests) reads at run time, with a line each."""
    used: dict[str, int | None] = {}
    stack = [code]
    while stack:
        current = stack.pop()
        for inst in dis.get_instructions(current):
            if inst.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(inst.argval, str):
                line = inst.positions.lineno if inst.positions else None
                used.setdefault(inst.argval, line)
        stack += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return used


def _outside_names(
    fn: types.FunctionType, filename: str
) -> tuple[list[str], list[tuple[int | None, str]]]:
    """Prologue lines for what the body reads from outside; warnings for unknown names."""
    from langgraph.types import interrupt

    imports: list[str] = []
    constants: list[str] = []
    warnings: list[tuple[int | None, str]] = []
    free = dict(zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False))
    outside = {name: None for name in fn.__code__.co_freevars} | _globals_used(fn.__code__)
    for name, line in sorted(outside.items()):
        if name in free:
            try:
                value, known = free[name].cell_contents, True
            except ValueError:
                value, known = None, False
            where = "the enclosing function"
        else:
            known = name in fn.__globals__
            value = fn.__globals__.get(name)
            where = "the notebook"
        if not known:
            if name == "interrupt" or hasattr(builtins, name):
                continue
            warnings.append((line, f"{name!r} is not defined; the node fails when it runs"))
            continue
        if name == "interrupt" and value is interrupt:
            continue
        if isinstance(value, types.ModuleType):
            imports.append(
                f"import {value.__name__}" + (f" as {name}" if name != value.__name__ else "")
            )
        elif _constant(value):
            if _SECRET_NAME.search(name) and isinstance(value, str | bytes):
                raise FunctionError(
                    f"function {fn.__name__!r} uses {name!r}, which looks like a secret; copying "
                    "it into the node would store it in the workflow document — read it inside "
                    "the function (os.environ) or pass a [[secret]] as a keyword-only parameter",
                    filename,
                    line,
                )
            constants.append(f"{name} = {value!r}")
        elif (target := _importable(value)) is not None:
            module, qual = target
            imports.append(f"from {module} import {qual}" + (f" as {name}" if name != qual else ""))
        else:
            raise FunctionError(
                f"function {fn.__name__!r} uses {name!r} from {where}; a code node carries only "
                "its own body — define or import it inside the function, or pass it as a "
                "keyword-only parameter",
                filename,
                line,
            )
    return sorted(set(imports)) + constants, warnings


def _parsed(target: types.FunctionType) -> tuple[str, list[str], _FuncNode]:
    """The function's file, its source lines and its syntax tree node."""
    filename, lines = _source_of(target)
    try:
        tree = ast.parse("".join(lines), filename)
    except SyntaxError as exc:
        raise FunctionError(
            f"cannot parse the source of {target.__name__!r}: {exc.msg}", filename, exc.lineno
        ) from None
    return filename, lines, _find(tree, target, filename)


def function_body(fn: Callable[..., Any]) -> FunctionBody:
    """The code node body of a plain function (``def`` or ``lambda``)."""
    target = inspect.unwrap(fn)
    if not isinstance(target, types.FunctionType):
        raise FunctionError(
            f"a code node needs a plain Python function (def or lambda), got "
            f"{type(target).__name__}"
        )
    filename, lines, node = _parsed(target)
    params, kwonly = _prologue_params(target, node, filename)
    outside, warnings = _outside_names(target, filename)
    if isinstance(node, ast.Lambda):
        body, first_line = f"return {ast.unparse(node.body)}", node.lineno
    else:
        body, first_line = _body_span(node, lines)
    if body.strip() == "pass":
        body = ""
    prologue = [*outside, *params]
    body = "\n".join([*prologue, *([body] if body else [])])
    return FunctionBody(
        name=target.__name__ if target.__name__ != "<lambda>" else "",
        body=body,
        kwonly=kwonly,
        returns=_literal_returns(node),
        filename=filename,
        lineno=node.lineno,
        warnings=warnings,
        prologue=len(prologue),
        first_line=first_line,
    )


def body_of_def(text: str) -> str | None:
    """The body ``function_body`` would read back from generated ``def`` text (None if odd)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    body = _body_lines(tree.body[0], io.StringIO(text).readlines())
    return "" if body.strip() == "pass" else body


def node_function_body(fn: Callable[..., Any]) -> str:
    """The body of ``def NAME(self, state, config)`` exactly as written (``%orcheo push``).

    Unlike ``function_body`` nothing is mapped: the parameters must be the code node's
    own, so the body means the same inside the workflow as in the notebook.
    """
    target = inspect.unwrap(fn)
    if not isinstance(target, types.FunctionType) or target.__name__ == "<lambda>":
        raise FunctionError(f"expected a function defined with def, got {type(target).__name__}")
    filename, lines, node = _parsed(target)
    assert not isinstance(node, ast.Lambda)
    params = [a.arg for a in _all_args(node.args)]
    if params != ["self", "state", "config"]:
        raise FunctionError(
            f"keep the code node's signature: def {target.__name__}(self, state, config) "
            f"(found ({', '.join(params)}))",
            filename,
            node.lineno,
        )
    body = _body_lines(node, lines)
    return "" if body.strip() == "pass" else body
