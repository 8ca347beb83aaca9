"""The script guardrails' defaults, light enough for the server to read at start.

``OrcheoApp``'s traitlets use them as defaults; the modules that enforce them
(RestrictedPython and the fork server) load only when a script is imported.
"""

from __future__ import annotations

MAX_SCRIPT_BYTES = 128 * 1024

DEFAULT_ALLOWED_IMPORTS: tuple[str, ...] = (
    "__future__",
    "orcheo",
    "langgraph.graph",
    "langgraph.types",
    "langgraph.constants",
    "langgraph.config",
    "langchain_core.messages",
    "langchain_core.runnables",
    "typing",
    "typing_extensions",
    "operator",
    "asyncio",
    "base64",
    "html",
    "math",
    "json",
    "re",
    "datetime",
    "functools",
    "itertools",
    "collections",
    "dataclasses",
    "enum",
    "pydantic",
    "uuid",
    "random",
    "string",
    "textwrap",
    "statistics",
    "decimal",
)
