"""Import a LangGraph script as a ``langgraph-script`` workflow document.

Order matters: the size is checked before the text is parsed, the restricted
compilation (cached) happens before anything runs, and the script's graph is
built in a child process that is killed at the deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..compat.frontmatter import read_frontmatter
from ..spec.models import ScriptIndex, WorkflowDocument
from ..spec.problems import DocumentError, problems_from_validation
from .compiler import MAX_SCRIPT_BYTES, compile_script, script_problem
from .policy import AllowList, script_module
from .sandbox import BuiltScript, build_script

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ScriptLimits:
    """The guardrails, configurable through the server's traitlets."""

    max_bytes: int = MAX_SCRIPT_BYTES
    timeout: float = DEFAULT_TIMEOUT
    allow: AllowList = field(default_factory=AllowList)


async def build(
    script: str, entrypoint: str | None = None, *, limits: ScriptLimits | None = None
) -> BuiltScript:
    """Check, compile and build the script's graph (time-limited)."""
    limits = limits or ScriptLimits()
    compiled = await asyncio.to_thread(
        compile_script, script, allow=limits.allow, max_bytes=limits.max_bytes
    )
    # After the size check: the script's own ``# /// orcheo`` block may name it.
    entrypoint = entrypoint or read_frontmatter(script).entrypoint
    return await asyncio.to_thread(
        build_script, compiled, entrypoint, allow=limits.allow, timeout=limits.timeout
    )


async def index_script(
    script: str, entrypoint: str | None = None, *, limits: ScriptLimits | None = None
) -> ScriptIndex:
    """Check, compile and build the script's graph (time-limited); its index."""
    built = await build(script, entrypoint, limits=limits)
    return ScriptIndex.model_validate(built.index)


async def import_script(
    script: str,
    name: str,
    entrypoint: str | None = None,
    *,
    limits: ScriptLimits | None = None,
    **document_fields: Any,
) -> WorkflowDocument:
    """A workflow document for the script.

    A graph built only from Orcheo node classes (see ``compat/freeze.py``) becomes a
    frozen-ir document whose nodes keep their types; any other graph is stored as
    the script with its index.
    """
    built = await build(script, entrypoint, limits=limits)
    entrypoint = entrypoint or read_frontmatter(script).entrypoint
    graph: dict[str, Any]
    if built.frozen is not None:
        graph = {
            "format": "frozen-ir",
            "entrypoint": built.frozen.get("entrypoint"),
            "ir": built.frozen,
        }
    else:
        index = ScriptIndex.model_validate(built.index)
        graph = {
            "format": "langgraph-script",
            "source": script,
            "entrypoint": entrypoint,
            "index": index.model_dump(mode="json"),
        }
    payload: dict[str, Any] = {**document_fields, "name": name, "graph": graph}
    try:
        return WorkflowDocument.model_validate(payload)
    except ValidationError as exc:
        raise DocumentError(problems_from_validation(exc)) from None


def restricted_loader(
    limits: ScriptLimits | None = None,
) -> Callable[[str], dict[str, Any]]:
    """Execute a stored script the way it was checked at import (restricted, allow-list).

    Installed with ``runtime.script_graph.set_script_loader`` by the server, so a
    script workflow runs under the same rules that admitted it.
    """
    limits = limits or ScriptLimits()

    def load(source: str) -> dict[str, Any]:
        compiled = compile_script(source, allow=limits.allow, max_bytes=limits.max_bytes)
        namespace = script_module(compiled.key, limits.allow).__dict__
        try:
            exec(compiled.code, namespace)
        except Exception as exc:
            raise DocumentError(
                [script_problem("script_error", f"script raised {type(exc).__name__}: {exc}")]
            ) from None
        return namespace

    return load
