"""Script ingestion: LangGraph Python scripts in, workflow documents out, with guardrails."""

from .compiler import MAX_SCRIPT_BYTES, ScriptTooLarge, compile_script
from .policy import DEFAULT_ALLOWED_IMPORTS, AllowList
from .script import ScriptLimits, import_script, index_script, restricted_loader

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
