"""orcheo-jupyter: Jupyter-native workflow automation on LangGraph."""

from .spec import DocumentError, Problem, WorkflowDocument
from .workflow import RunResult, Workflow, resume

__version__ = "0.1.0"

__all__ = [
    "DocumentError",
    "Problem",
    "RunResult",
    "Workflow",
    "WorkflowDocument",
    "__version__",
    "resume",
]
