"""IPython magics: ``%%orcheo NAME`` cells and ``%orcheo run|resume|list|show|runs|code|export``.

``%load_ext orcheo_jupyter`` registers them. The pieces are usable without IPython:
``build_cell`` (cell text -> workflow) and ``document_to_code`` (document -> cell).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .cell import BuiltCell, build_cell
    from .codegen import document_to_code
    from .errors import CellProblem, OrcheoCellError
    from .magics import OrcheoMagics, load_ipython_extension, unload_ipython_extension

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "BuiltCell": ".cell",
        "build_cell": ".cell",
        "document_to_code": ".codegen",
        "CellProblem": ".errors",
        "OrcheoCellError": ".errors",
        "OrcheoMagics": ".magics",
        "load_ipython_extension": ".magics",
        "unload_ipython_extension": ".magics",
    },
)

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
