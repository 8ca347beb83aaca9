"""Code nodes: the body of ``def run(self, state, config)`` compiled once per graph."""

from __future__ import annotations

import ast
import textwrap
import traceback
import types
from collections.abc import Callable
from typing import Any

from langgraph.types import interrupt

from ..common.indentation import indent
from ..spec.models import CodeNode
from ..spec.problems import DocumentError, Problem


def filename_for(node_id: str) -> str:
    return f"<orcheo code node {node_id}>"


def compile_body(node: CodeNode) -> tuple[Callable[..., Any], bool]:
    """The node's function and whether it is a coroutine function.

    A body that uses ``await`` becomes ``async def``. Syntax errors name the node and
    the line of the body (1-based), not of the wrapper.
    """
    body = node.body if node.body.strip() else "return None"
    indented = indent(textwrap.dedent(body))
    is_async = False
    source = f"def run(self, state, config):\n{indented}\n"
    try:
        tree = ast.parse(source, filename_for(node.id))
    except SyntaxError as exc:
        # "await" outside an async function is only an error for the sync wrapper.
        try:
            source = f"async def run(self, state, config):\n{indented}\n"
            tree = ast.parse(source, filename_for(node.id))
            is_async = True
        except SyntaxError:
            line = max((exc.lineno or 1) - 1, 1)
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "code_syntax",
                        f"syntax error on line {line}: {exc.msg}",
                        node=node.id,
                        field="body",
                    )
                ]
            ) from None
    if not is_async and any(
        isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for n in ast.walk(tree)
    ):
        source = f"async def run(self, state, config):\n{indented}\n"
        tree = ast.parse(source, filename_for(node.id))
        is_async = True
    code = compile(tree, filename_for(node.id), "exec")
    namespace: dict[str, Any] = {"__name__": f"orcheo_code_{node.id}", "interrupt": interrupt}
    exec(code, namespace)
    return namespace["run"], is_async


def make_self(node: CodeNode, config: dict[str, Any]) -> types.SimpleNamespace:
    """The ``self`` a body sees: its injected config fields, plus its node id."""
    fields = {name: config.get(name) for name in node.injected}
    return types.SimpleNamespace(node_id=node.id, **fields)


def body_line(exc: BaseException, node_id: str) -> int | None:
    """The body line (1-based) where an exception was raised, if it came from the body."""
    name = filename_for(node_id)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == name and frame.lineno is not None:
            line = frame.lineno - 1
    return line
