"""The canvas widget for notebooks (anywidget); imported lazily by ``orcheo_jupyter``."""

from ..spec.edits import EditError as DiffError
from ..spec.edits import apply_edits as apply_diffs
from .canvas import Canvas
from .picture import to_mermaid, to_svg

__all__ = ["Canvas", "DiffError", "apply_diffs", "to_mermaid", "to_svg"]
