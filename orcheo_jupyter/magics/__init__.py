"""IPython magics: ``%%orcheo NAME`` cells and ``%orcheo run|resume|list|show|runs|code|export``.

``%load_ext orcheo_jupyter`` registers them. The pieces are usable without IPython:
``build_cell`` (cell text -> workflow) and ``document_to_code`` (document -> cell).
"""

from .cell import BuiltCell, build_cell
from .codegen import document_to_code
from .errors import CellProblem, OrcheoCellError
from .magics import OrcheoMagics, load_ipython_extension, unload_ipython_extension

__all__ = [
    "BuiltCell",
    "CellProblem",
    "OrcheoCellError",
    "OrcheoMagics",
    "build_cell",
    "document_to_code",
    "load_ipython_extension",
    "unload_ipython_extension",
]
