"""Which script a graph came from, so code it calls later still acts for the script.

Library code a script's graph calls with no frame of the script on the stack (a
``functools.partial`` node, LangGraph's own hooks) evaluates what the script
handed it, e.g. the string annotations of a class the script made with
``type(...)``. While a script's graph is built or runs, ``current_script`` holds
the script's namespace; ``ingest``'s annotation guard reads it to apply the
script's rules there too. Light on purpose: the guard consults it on every
forward-reference evaluation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

current_script: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "orcheo_current_script", default=None
)
_NAMESPACE_ATTR = "_orcheo_script_namespace"


@contextlib.contextmanager
def script_scope(namespace: Mapping[str, Any] | None) -> Iterator[None]:
    """Act for the script of ``namespace`` (nothing changes for None)."""
    token = current_script.set(namespace) if namespace is not None else None
    try:
        yield
    finally:
        if token is not None:
            current_script.reset(token)


def mark_graph(graph: Any, namespace: Mapping[str, Any]) -> None:
    setattr(graph, _NAMESPACE_ATTR, namespace)


def namespace_of(graph: Any) -> Mapping[str, Any] | None:
    """The script namespace a (compiled) graph was built from, if it came from a script."""
    builder = getattr(graph, "builder", graph)
    found = getattr(builder, _NAMESPACE_ATTR, None)
    return found if isinstance(found, Mapping) else None
