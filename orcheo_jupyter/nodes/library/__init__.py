"""Built-in node types; ``load_all()`` (called by the registry on first use) registers them.

Importing one module (``trigger_nodes`` for the trigger service's models) loads only
that module: the AI, retrieval and web nodes pull in LangChain, which the Jupyter
server must not pay for at start (``tests/test_startup.py``).
"""

from __future__ import annotations

import importlib

BUILTIN_MODULES = (
    "ai",
    "conversation",
    "data",
    "dates",
    "debug",
    "discord",
    "embedding",
    "eval_batch",
    "eval_datasets",
    "eval_feedback",
    "evaluation",
    "feeds",
    "foreach",
    "generation",
    "guardrails",
    "http",
    "human",
    "indexing",
    "ingestion",
    "judges",
    "lists",
    "logic",
    "mail",
    "planning",
    "retrieval",
    "storage",
    "streaming",
    "subworkflow",
    "text",
    "trigger_nodes",
    "validation",
    "web",
    "web_search",
)


def load_all() -> None:
    """Import every built-in node module (each registers its node types)."""
    for name in BUILTIN_MODULES:
        importlib.import_module(f"{__name__}.{name}")
