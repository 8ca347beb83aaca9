"""orcheo-jupyter: Jupyter-native workflow automation on LangGraph."""

from .spec import DocumentError, Problem, WorkflowDocument
from .workflow import RunResult, Workflow, resume

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The canvas needs anywidget; the CLI and the server must not pay for importing it.
    if name == "Canvas":
        from .widget import Canvas

        return Canvas
    raise AttributeError(f"module 'orcheo_jupyter' has no attribute {name!r}")


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
    "Problem",
    "RunResult",
    "Workflow",
    "WorkflowDocument",
    "__version__",
    "load_ipython_extension",
    "resume",
]
