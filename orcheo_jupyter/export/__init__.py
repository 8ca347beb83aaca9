"""Export a notebook's workflows as a deployable bundle, and deploy bundles.

``export_notebook(path, out)`` (also ``orcheo-jupyter export`` and ``%orcheo
export``) collects the ``%%orcheo`` cells and the documents the notebook names,
refuses workflows that do not validate (naming the cell), and writes the
documents, pinned requirements, config examples, a README and LangGraph files.
``read_bundle`` / ``install`` are what ``jupyter orcheo --bundle DIR`` uses.

Imports are lazy: the server only needs ``deploy``, the CLI only ``command``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from .bundle import Bundle


def export_notebook(notebook: str | Path, output: str | Path | None = None) -> Bundle:
    """Export ``notebook``'s workflows into ``output`` (default ``<stem>_bundle``)."""
    from .command import export_notebook as run

    return run(notebook, output)


def magic(line: str, shell: Any) -> Bundle:
    """``%orcheo export ...`` (called by the magics)."""
    from .command import magic as run

    return run(line, shell)


__all__ = ["export_notebook", "magic"]
