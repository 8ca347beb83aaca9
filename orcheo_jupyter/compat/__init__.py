"""Orcheo's Python API for scripts: ``orcheo.graph.state``, ``orcheo.nodes.*``, ``orcheo.edges``.

Scripts written for upstream Orcheo build LangGraph graphs from ``State`` and
Orcheo node classes. Here those names are served by facades over this project's
runtime and node registry, so such a script runs with the same templates,
credentials and results as a canvas document, and a script whose graph is static
becomes a frozen-ir document with real node types.

Where it lives: ``orcheo`` is a *virtual* namespace, resolved only by the import
function of code that orcheo-jupyter executes as a workflow definition (imported
scripts, script documents, ``%%orcheo`` cells). It is never put in
``sys.modules``, so a real ``orcheo`` package installed beside us keeps working,
untouched, for everything else in the kernel or server.
"""

from .namespace import compat_builtins, is_orcheo_name, orcheo_module

__all__ = ["compat_builtins", "is_orcheo_name", "orcheo_module"]
