"""The script guardrails' limits, light enough for the server to read at start.

``OrcheoApp``'s traitlets use them as defaults and its error mapping knows
``ScriptTooLarge``; the modules that enforce them (RestrictedPython and the fork
server) load only when a script is imported.
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
    # Stand-ins (ingest.facades): upstream's examples import these for their
    # ``__main__`` block, which never runs on import.
    "pprint",
    "dotenv",
    "langgraph.checkpoint.memory",
)


class ScriptTooLarge(ValueError):
    """The script is over the size limit (HTTP 413)."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"script is {size:,} bytes after UTF-8 encoding; the limit is {limit:,} bytes "
            f"({limit // 1024} KiB)"
        )
