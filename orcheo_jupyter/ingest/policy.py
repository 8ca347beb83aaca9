"""What an imported script may do: compile-time policy, import allow-list, guards.

RestrictedPython rewrites attribute access, item access, iteration and writes
into calls of guard functions supplied here, refuses names that start with an
underscore, and refuses ``exec``/``eval``. On top of that this module limits
imports to an allow-list (checked statically at compile time and again when an
import runs) and refuses to hand out modules that are not on the list through
attributes of modules that are (``dataclasses.sys`` would otherwise reach
``os``). This is a guardrail for scripts that arrive over HTTP, not a sandbox
against a determined attacker: Jupyter users can already run kernels.
"""

from __future__ import annotations

import ast
import builtins
import operator
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, safe_builtins
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector

from ..compat.namespace import is_orcheo_name, resolve_import
from ..nodes import registry
from . import annotation_guard
from .facades import DENIED_ATTRIBUTES, SEALED, build_facades
from .limits import DEFAULT_ALLOWED_IMPORTS

#: The module name a script runs as; never ``__main__``, so its main block is skipped.
SCRIPT_MODULE = "orcheo_script"


@dataclass(frozen=True)
class AllowList:
    """Module names a script may import; an entry also allows its submodules."""

    modules: tuple[str, ...] = DEFAULT_ALLOWED_IMPORTS

    def allows(self, name: str) -> bool:
        """Listed, or a submodule of a listed module that is not a sealed facade."""
        return any(
            name == m or (name.startswith(m + ".") and m not in SEALED) for m in self.modules
        )

    def is_parent_of_allowed(self, name: str) -> bool:
        """``langchain_core`` is not allowed itself, but is the way to ``.messages``."""
        return any(m.startswith(name + ".") for m in self.modules)

    def describe(self) -> str:
        return ", ".join(m for m in self.modules if m != "__future__")


class ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus what LangGraph scripts need.

    Added: annotated assignments (``TypedDict`` state fields), ``async def`` and
    ``await`` (async nodes), and reading ``__name__`` (so the usual
    ``if __name__ == "__main__":`` guard compiles; it is false when imported).
    """

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name == "__name__" and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return
        super().check_name(node, name, allow_magic_methods)

    def visit_Module(self, node: ast.Module) -> Any:
        """RestrictedPython's, with the print collector placed after the docstring too.

        Its own placement stops at a leading docstring, so a module-level ``print``
        in a script that starts with a docstring, then ``from __future__ import ...``
        (upstream's examples do) put an assignment above the future import, which
        Python refuses to compile.
        """
        node = self.node_contents_visit(node)
        position = 0
        for position, child in enumerate(node.body):
            docstring = (
                position == 0
                and isinstance(child, ast.Expr)
                and isinstance(child.value, ast.Constant)
                and isinstance(child.value.value, str)
            )
            future = isinstance(child, ast.ImportFrom) and child.module == "__future__"
            if not (docstring or future):
                break
        else:
            position = len(node.body)
        self.inject_print_collector(node, position)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        return self.node_contents_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> Any:
        self.check_name(node, node.name, allow_magic_methods=True)
        self.check_function_argument_names(node)
        with self.print_info.new_print_scope():
            node = self.node_contents_visit(node)
            self.inject_print_collector(node)  # type: ignore[arg-type]
        return node

    def visit_Await(self, node: ast.Await) -> Any:
        return self.node_contents_visit(node)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> Any:
        return self.node_contents_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> Any:
        return self.node_contents_visit(node)


def disallowed_imports(tree: ast.AST, allow: AllowList) -> list[tuple[int, str]]:
    """Every import statement (at any depth) naming a module off the list: (line, name)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(
                (node.lineno, alias.name) for alias in node.names if not allow.allows(alias.name)
            )
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "." * node.level + (node.module or "")))
                continue
            module = node.module or ""
            if allow.allows(module):
                continue
            if allow.is_parent_of_allowed(module):
                found.extend(
                    (node.lineno, f"{module}.{alias.name}")
                    for alias in node.names
                    if not allow.allows(f"{module}.{alias.name}")
                )
            else:
                found.append((node.lineno, module))
    return found


def _annotation_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.arg) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns


def refused_string_annotations(tree: ast.AST) -> list[tuple[int, str]]:
    """String annotations the script's guards would refuse: (line, why).

    They are evaluated later (by typing, pydantic or LangGraph) under the same
    guards; refusing them here gives the error a line number.
    """
    found: list[tuple[int, str]] = []
    for annotation in _annotation_nodes(tree):
        for node in ast.walk(annotation):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                why = annotation_guard.check_annotation_text(node.value)
                if why:
                    found.append((node.lineno, why))
    return found


def _script_module_value(
    value: ModuleType,
    allow: AllowList,
    facades: Mapping[str, ModuleType],
    what: str = "access to module",
) -> ModuleType:
    """What a script gets for a module: its facade, the module if allowed, else an error."""
    name = value.__name__
    if name in facades:
        return facades[name]
    if allow.allows(name) or allow.is_parent_of_allowed(name):
        return value
    raise ImportError(f"{what} {name!r} is not allowed")


def _guarded_import(
    allow: AllowList, facades: Mapping[str, ModuleType]
) -> Callable[..., ModuleType]:
    def guarded_import(
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Iterable[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level:
            raise ImportError("relative imports are not allowed in imported scripts")
        names = tuple(fromlist or ())
        if not allow.allows(name) and not (
            allow.is_parent_of_allowed(name)
            and (not names or all(allow.allows(f"{name}.{n}") for n in names))
        ):
            raise ImportError(f"import of {name!r} is not allowed (allowed: {allow.describe()})")
        if is_orcheo_name(name):
            return resolve_import(name, names)
        if "." in name and name in facades and not names:
            # ``import a.b.c`` binds ``a``, the real package: only ``from`` reaches it.
            raise ImportError(f"{name} is a stand-in here: write 'from {name} import ...'")
        module = facades.get(name) or builtins.__import__(name, globals, locals, names, 0)
        for item in names:
            value = getattr(module, item, None)
            if isinstance(value, ModuleType):
                if value.__name__ in facades and value is not facades[value.__name__]:
                    # ``from x import asyncio`` would bind the real module, not its facade.
                    raise ImportError(f"import {value.__name__!r} directly, not from {name!r}")
                _script_module_value(value, allow, facades, "import of")
        return module

    return guarded_import


def _guarded_getattr(allow: AllowList, facades: Mapping[str, ModuleType]) -> Callable[..., Any]:
    def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
        if name in DENIED_ATTRIBUTES:
            raise AttributeError(f'"{name}" is not available to scripts')
        value = safer_getattr_raise(obj, name, *default)
        if isinstance(value, ModuleType):
            try:
                return _script_module_value(value, allow, facades)
            except ImportError as exc:
                raise AttributeError(str(exc)) from None
        return value

    return guarded_getattr


def _check_attribute_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_"):
        raise AttributeError(f'"{name}" is an invalid attribute name because it starts with "_"')
    return name


def _guarded_setattr(obj: Any, name: str, value: Any) -> None:
    setattr(_guarded_write(obj), _check_attribute_name(name), value)


def _guarded_delattr(obj: Any, name: str) -> None:
    delattr(_guarded_write(obj), _check_attribute_name(name))


def _guarded_write(obj: Any) -> Any:
    """Scripts may change their own objects, never modules or library classes."""
    if isinstance(obj, ModuleType):
        raise TypeError(f"scripts may not modify module {obj.__name__!r}")
    if isinstance(obj, type) and not str(obj.__module__).startswith(SCRIPT_MODULE):
        raise TypeError(f"scripts may not modify class {obj.__name__!r}")
    return obj


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "^=": operator.ixor,
    "|=": operator.ior,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


def _apply(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


_EXTRA_BUILTINS = (
    "dict",
    "list",
    "set",
    "frozenset",
    "tuple",
    "bytes",
    "enumerate",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "map",
    "filter",
    "reversed",
    "sorted",
    "zip",
    "iter",
    "next",
    "object",
    "super",
    "staticmethod",
    "classmethod",
    "property",
    "NotImplemented",
    "TimeoutError",
)


def script_module(key: str, allow: AllowList | None = None) -> ModuleType:
    """A fresh module for one execution of the script whose content hash is ``key``.

    It is registered in ``sys.modules`` under a name unique to the script, because
    ``typing.get_type_hints`` (which LangGraph calls on state classes) resolves
    string annotations through the module of the class.
    """
    name = f"{SCRIPT_MODULE}_{key[:16]}"
    module = ModuleType(name)
    module.__dict__.update(restricted_globals(allow, name))
    sys.modules[name] = module
    return module


def restricted_globals(
    allow: AllowList | None = None, module_name: str = SCRIPT_MODULE
) -> dict[str, Any]:
    """A fresh module namespace for one restricted script execution."""
    allow = allow or AllowList()
    annotation_guard.install()
    # Node types are imported now, not lazily under a script's frame (orcheo.nodes.*).
    registry.all_specs()
    facades: dict[str, ModuleType] = {}
    getattr_ = _guarded_getattr(allow, facades)
    facades.update(build_facades(getattr_))
    names = dict(safe_builtins)
    names.update({n: getattr(builtins, n) for n in _EXTRA_BUILTINS})
    names["__import__"] = _guarded_import(allow, facades)
    names["getattr"] = getattr_
    names["hasattr"] = lambda obj, name: _hasattr(getattr_, obj, name)
    names["setattr"] = _guarded_setattr
    names["delattr"] = _guarded_delattr
    return {
        annotation_guard.MARK: annotation_guard.new_marker(allow.allows),
        "__builtins__": names,
        "__name__": module_name,
        "__metaclass__": type,
        "_getattr_": getattr_,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _guarded_write,
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_print_": PrintCollector,
    }


def _hasattr(getattr_: Callable[..., Any], obj: Any, name: str) -> bool:
    try:
        getattr_(obj, name)
    except AttributeError:
        return False
    return True
