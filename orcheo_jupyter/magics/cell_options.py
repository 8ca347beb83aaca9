"""The options of a ``%%orcheo NAME`` cell's first line, declared once.

The cell magic reads them when the cell runs; export reads them from the notebook
file without running anything (``export/notebook.py``). One declaration, so a cell
export accepts is a cell the magic accepts, and the other way round.
"""

from __future__ import annotations

import argparse


def add_cell_options(parser: argparse.ArgumentParser) -> None:
    """NAME, ``--format python|json|yaml``, ``--no-show``, ``--dir DIR``, ``--force``
    (store the cell over a version someone else stored since this kernel's)."""
    parser.add_argument("name")
    parser.add_argument("--format", choices=("python", "json", "yaml"), default="python")
    parser.add_argument("--no-show", action="store_true")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--force", action="store_true")
