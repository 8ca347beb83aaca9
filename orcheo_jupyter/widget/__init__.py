"""The canvas widget for notebooks (anywidget); imported lazily by ``orcheo_jupyter``."""

from .canvas import Canvas
from .diffs import DiffError, apply_diffs
from .picture import to_mermaid, to_svg

__all__ = ["Canvas", "DiffError", "apply_diffs", "to_mermaid", "to_svg"]
