"""orcheo-jupyter: Jupyter-native workflow automation on LangGraph.

Importing the package loads nothing else: Jupyter imports it at every start (to
find the server extension), and a kernel imports it for ``%load_ext``. The public
names load on first use (PEP 562), so LangGraph, pydantic models and anywidget are
paid for only by whoever uses them. ``tests/test_startup.py`` keeps it that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .spec import DocumentError, Problem, WorkflowDocument
    from .spec.edits import EditError
    from .widget import Canvas  # noqa: F401 (anywidget: not in __all__, loaded on demand)
    from .workflow import RunResult, Workflow, resume

__version__ = "0.1.0"

#: public name -> the submodule that defines it
_LAZY = {
    "DocumentError": ".spec",
    "EditError": ".spec.edits",
    "Problem": ".spec",
    "WorkflowDocument": ".spec",
    "RunResult": ".workflow",
    "Workflow": ".workflow",
    "resume": ".workflow",
    "Canvas": ".widget",
}


__getattr__ = lazy_exports(__name__, globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext orcheo_jupyter``: the ``%%orcheo`` cell magic and ``%orcheo`` line magics."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from .magics import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension (the canvas document, sidebar, run viewer)."""
    return [{"src": "../labextension", "dest": "orcheo-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    """The Jupyter server extension (REST/WebSocket API), enabled on install."""
    from .server.app import OrcheoApp

    return [{"module": "orcheo_jupyter.server.app", "app": OrcheoApp}]


__all__ = [
    "DocumentError",
    "EditError",
    "Problem",
    "RunResult",
    "Workflow",
    "WorkflowDocument",
    "__version__",
    "load_ipython_extension",
    "resume",
]
