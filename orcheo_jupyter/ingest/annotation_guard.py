"""String annotations evaluated for a restricted script go through the script's guards.

``typing.get_type_hints``, pydantic and LangGraph turn annotation *strings* into
objects with ``eval``. RestrictedPython never sees those strings, so
``x: "().__class__.__base__.__subclasses__()"`` (or a string built at run time and
placed in an annotation) would run unguarded code. Every such evaluation in
Python 3.11 ends in ``typing.ForwardRef._evaluate``; this module replaces it, in
processes that execute scripts, with a version that:

- evaluates in a script's namespace (or whenever the forward reference names a
  script module) with RestrictedPython-compiled code, so the script's own guards
  apply (no ``_`` names, guarded attribute access, allow-listed modules only);
- evaluates in any other namespace *while a script frame is on the stack* with a
  small type-expression evaluator: names, attributes, subscripts, ``|``, tuples,
  lists and constants only, every name and attribute checked, and only values a
  type annotation needs (types, typing constructs, functions of trusted modules);
- leaves evaluations that no script caused unchanged.

A refused annotation raises ``AnnotationRefused`` (a ``TypeError``, never a
``NameError``, so pydantic cannot defer it and retry later without the guard).
"""

from __future__ import annotations

import ast
import sys
import threading
import types
import typing
from collections import ChainMap
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from ..runtime.script_scope import current_script

#: Key of the marker every restricted script namespace carries; scripts cannot
#: read or write names that start with an underscore, so they cannot forge it.
MARK = "__orcheo_restricted__"


class _Marker:
    """The one object a namespace's MARK entry must be to count as a script's."""

    __slots__ = ("allows",)

    def __init__(self, allows: Callable[[str], bool]) -> None:
        self.allows = allows


class AnnotationRefused(TypeError):
    """A string annotation a script may not have evaluated."""


# Modules whose classes and functions string annotations of trusted code (our
# State, LangGraph's MessagesState) legitimately name.
_TRUSTED_MODULES = (
    "typing",
    "typing_extensions",
    "collections.abc",
    "types",
    "langgraph.graph",
    "langgraph.types",
    "langchain_core.messages",
    "orcheo_jupyter.runtime.state",
    "orcheo_jupyter.compat",
)
_TYPING_MODULES = {"typing", "typing_extensions", "types", "collections.abc", "_collections_abc"}


def script_marker(namespace: Mapping[str, Any]) -> _Marker | None:
    marker = namespace.get(MARK) if isinstance(namespace, dict) else None
    return marker if isinstance(marker, _Marker) else None


def _script_frame_marker() -> _Marker | None:
    """The mark of the nearest script frame on the stack, else of the script in scope.

    A module being imported runs its own (library) code: evaluations inside an
    import that a script's call happened to trigger (a lazy import) are the
    library's, so the walk stops at the import machinery. With no script frame on
    the stack, an evaluation while a script's graph is built or runs
    (``script_graph.current_script``) is still the script's: a class it made with
    ``type(...)`` can be handed to library code that evaluates its annotations
    later (a ``functools.partial`` node, a LangGraph hook).
    """
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return None
        marker = frame.f_globals.get(MARK)
        if isinstance(marker, _Marker):
            return marker
        frame = frame.f_back  # type: ignore[assignment]
    return _scoped_marker()


def _scoped_marker() -> _Marker | None:
    namespace = current_script.get()
    return script_marker(namespace) if namespace is not None else None


#: The guard functions RestrictedPython's rewrite calls. Annotations of restricted
#: code reach typing as the text of the *rewritten* expression (e.g.
#: ``_getitem_(Annotated, (list, _getattr_(operator, 'add')))``), so reading these
#: names is allowed; each is a guard, callable by scripts anyway.
_GUARD_NAMES = frozenset(
    {
        "_getattr_",
        "_getitem_",
        "_getiter_",
        "_apply_",
        "_write_",
        "_inplacevar_",
        "_iter_unpack_sequence_",
        "_unpack_sequence_",
    }
)


class _AnnotationPolicy(RestrictingNodeTransformer):
    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name in _GUARD_NAMES and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return
        super().check_name(node, name, allow_magic_methods)


@lru_cache(maxsize=512)
def _restricted_code(text: str) -> types.CodeType:
    result = compile_restricted_eval(text, "<orcheo script annotation>", policy=_AnnotationPolicy)
    if result.errors or result.code is None:
        raise AnnotationRefused(
            f"string annotation {text!r} is not allowed: {'; '.join(result.errors)}"
        )
    return result.code


def check_annotation_text(text: str) -> str | None:
    """Why a string annotation written in a script is refused, or None (compile time)."""
    try:
        _restricted_code(text)
    except AnnotationRefused as exc:
        return str(exc)
    return None


def _module_trusted(module: str, marker: _Marker) -> bool:
    if marker.allows(module) or any(
        module == m or module.startswith(m + ".") for m in _TRUSTED_MODULES
    ):
        return True
    # A script's own classes and functions (its module carries the mark).
    return script_marker(getattr(sys.modules.get(module), "__dict__", {})) is not None


def _check_value(value: Any, marker: _Marker, text: str) -> Any:
    """A value a name or attribute of a foreign-namespace annotation may resolve to."""
    if value is None or value is Ellipsis or isinstance(value, str | int | float | bool | bytes):
        return value
    if isinstance(value, types.ModuleType):
        if marker.allows(value.__name__):
            return value
    elif isinstance(value, type):
        module = str(getattr(value, "__module__", ""))
        if module == "builtins" or _module_trusted(module, marker):
            return value
    elif isinstance(value, types.FunctionType | types.BuiltinFunctionType):
        module = str(getattr(value, "__module__", "") or "")
        if module != "builtins" and _module_trusted(module, marker):
            return value
    elif type(value).__module__ in _TYPING_MODULES:
        return value  # typing constructs: special forms, aliases, TypeVars
    raise AnnotationRefused(
        f"string annotation {text!r} may not name {type(value).__name__} {value!r:.80}"
    )


def _lookup(name: str, globalns: Mapping[str, Any], localns: Mapping[str, Any] | None) -> Any:
    if localns is not None and name in localns:
        return localns[name]
    if name in globalns:
        return globalns[name]
    builtins_ = globalns.get("__builtins__", __builtins__)
    space = builtins_.__dict__ if isinstance(builtins_, types.ModuleType) else builtins_
    if isinstance(space, Mapping) and name in space:
        return space[name]
    raise NameError(f"name {name!r} is not defined")


def _type_eval(
    node: ast.AST,
    globalns: Mapping[str, Any],
    localns: Mapping[str, Any] | None,
    marker: _Marker,
    text: str,
) -> Any:
    def ev(n: ast.AST) -> Any:
        return _type_eval(n, globalns, localns, marker, text)

    if isinstance(node, ast.Expression):
        return ev(node.body)
    if isinstance(node, ast.Constant):
        return _check_value(node.value, marker, text)
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise AnnotationRefused(f"string annotation {text!r} may not name {node.id!r}")
        return _check_value(_lookup(node.id, globalns, localns), marker, text)
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("__") or node.attr in INSPECT_ATTRIBUTES:
            raise AnnotationRefused(f"string annotation {text!r} may not read {node.attr!r}")
        return _check_value(getattr(ev(node.value), node.attr), marker, text)
    if isinstance(node, ast.Subscript):
        base = ev(node.value)
        if not isinstance(base, type) and type(base).__module__ not in _TYPING_MODULES:
            raise AnnotationRefused(f"string annotation {text!r} subscripts a non-type")
        return base[ev(node.slice)]
    if isinstance(node, ast.Tuple):
        return tuple(ev(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [ev(e) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return ev(node.left) | ev(node.right)
    raise AnnotationRefused(
        f"string annotation {text!r} is not a plain type expression ({type(node).__name__})"
    )


def evaluate_foreign(
    text: str, globalns: Mapping[str, Any], localns: Mapping[str, Any] | None, marker: _Marker
) -> Any:
    """Evaluate a type expression outside a script namespace, on a script's behalf."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise AnnotationRefused(f"string annotation {text!r} is not an expression") from None
    return _type_eval(tree, globalns, localns, marker, text)


_original_evaluate = typing.ForwardRef._evaluate
_installed = False
_install_lock = threading.Lock()


def _guarded_evaluate(
    self: typing.ForwardRef, globalns: Any, localns: Any, recursive_guard: frozenset[str]
) -> Any:
    """``ForwardRef._evaluate`` with the script guards above (same contract otherwise)."""
    arg = self.__forward_arg__
    if arg in recursive_guard:
        return self
    if globalns is None and localns is None:
        globalns = localns = {}
    elif globalns is None:
        globalns = localns
    elif localns is None:
        localns = globalns
    if self.__forward_module__ is not None:
        # Bound to a module (e.g. inherited TypedDict fields): evaluated there only.
        module = sys.modules.get(self.__forward_module__, None)
        globalns = getattr(module, "__dict__", globalns)
        marker = script_marker(globalns)
        script_ns, localns_ = (globalns, localns) if marker is not None else (None, localns)
    else:
        marker = script_marker(globalns) or script_marker(localns)
        if script_marker(globalns) is not None:
            script_ns, localns_ = globalns, localns
        elif marker is not None:
            # get_type_hints swaps a class's namespaces: the module comes as localns.
            script_ns, localns_ = localns, ChainMap(localns, globalns)
        else:
            script_ns, localns_ = None, localns
    if script_ns is not None:
        value = eval(_restricted_code(arg), script_ns, localns_)
    else:
        marker = _script_frame_marker()
        if marker is None:
            return _original_evaluate(self, globalns, localns, recursive_guard)
        value = evaluate_foreign(arg, globalns, localns, marker)
    type_ = typing._type_check(  # type: ignore[attr-defined]
        value,
        "Forward references must evaluate to types.",
        is_argument=self.__forward_is_argument__,
        allow_special_forms=self.__forward_is_class__,
    )
    result = typing._eval_type(  # type: ignore[attr-defined]
        type_, globalns, localns, recursive_guard | {arg}
    )
    # Not cached: the same reference may be evaluated later in another context.
    return result


def install() -> None:
    """Route every forward-reference evaluation in this process through the guard."""
    global _installed
    with _install_lock:
        if not _installed:
            typing.ForwardRef._evaluate = _guarded_evaluate  # type: ignore[method-assign]
            _installed = True


def new_marker(allows: Callable[[str], bool]) -> _Marker:
    return _Marker(allows)
