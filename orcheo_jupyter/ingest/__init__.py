"""Script ingestion: LangGraph Python scripts in, workflow documents out, with guardrails.

The names load on first use (PEP 562): the server reads ``ingest.limits`` at
start and must not load RestrictedPython or LangGraph for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .compiler import compile_script
    from .limits import DEFAULT_ALLOWED_IMPORTS, MAX_SCRIPT_BYTES, ScriptTooLarge
    from .policy import AllowList
    from .script import ScriptLimits, import_script, index_script, restricted_loader

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "DEFAULT_ALLOWED_IMPORTS": ".limits",
        "MAX_SCRIPT_BYTES": ".limits",
        "AllowList": ".policy",
        "ScriptLimits": ".script",
        "ScriptTooLarge": ".limits",
        "compile_script": ".compiler",
        "import_script": ".script",
        "index_script": ".script",
        "restricted_loader": ".script",
    },
)


__all__ = [
    "DEFAULT_ALLOWED_IMPORTS",
    "MAX_SCRIPT_BYTES",
    "AllowList",
    "ScriptLimits",
    "ScriptTooLarge",
    "compile_script",
    "import_script",
    "index_script",
    "restricted_loader",
]
