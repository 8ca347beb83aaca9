"""Reading a notebook without running it: its cells, ``%%orcheo`` cells, and what cells name.

Export must not execute a notebook (it may fetch data, train, send mail), so
everything here works on the cells' text: IPython syntax is turned into plain
Python by IPython's own input transformer and then read with ``ast``.
"""

from __future__ import annotations

import argparse
import ast
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

from ..magics.cell_options import add_cell_options
from .errors import ExportError, ExportProblem

MAGIC = "%%orcheo"
SUFFIX = ".orcheo.json"
Format = Literal["python", "json", "yaml"]
#: ``%orcheo`` line commands whose first argument names a workflow.
_NAMING_COMMANDS = frozenset({"run", "show", "code"})


@dataclass(frozen=True)
class Cell:
    """A notebook cell; ``number`` counts from 1 over all cells, as the notebook shows them."""

    number: int
    kind: str
    source: str
    tags: frozenset[str]

    @property
    def is_code(self) -> bool:
        return self.kind == "code"

    @property
    def is_cell_magic(self) -> bool:
        return self.source.lstrip().startswith("%%")


@dataclass(frozen=True)
class MagicCell:
    """A ``%%orcheo NAME`` cell: its options and the body the magic builds from."""

    cell: Cell
    name: str
    fmt: Format
    body: str
    directory: str | None
    header_line: int  # the cell line holding ``%%orcheo``; body line n is cell line n + this

    @property
    def what(self) -> str:
        return f"{MAGIC} {self.name}"

    def problem(self, message: str, body_line: int | None = None) -> ExportProblem:
        line = body_line + self.header_line if body_line is not None else None
        return ExportProblem(message, self.cell.number, self.what, line)


@dataclass(frozen=True)
class Reference:
    """A workflow a cell names: a ``*.orcheo.json`` path or ``%orcheo run|show|code NAME``."""

    cell: Cell
    path: str | None = None
    name: str | None = None


def read_cells(path: Path) -> list[Cell]:
    """The notebook's cells; ExportError when the file is missing or not a notebook."""
    import nbformat

    if path.name.endswith(SUFFIX) or path.suffix in (".yaml", ".yml", ".py"):
        # A workflow is what a bundle is made of: export collects them from a notebook.
        raise ExportError(
            f"{path} is a workflow, not a notebook: export reads a .ipynb that holds "
            f"%%orcheo cells; `python -m orcheo_jupyter run {path}` runs a workflow as it is"
        )
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise ExportError(f"no such notebook: {path}") from None
    except IsADirectoryError:
        raise ExportError(f"{path} is a directory, not a notebook") from None
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        raise ExportError(f"{path} is not a readable notebook: {exc}") from None
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        tags = cell.get("metadata", {}).get("tags", [])
        cells.append(Cell(number, cell.get("cell_type", ""), source, frozenset(tags)))
    return cells


class _Parser(argparse.ArgumentParser):
    """The ``%%orcheo`` line's options, reporting mistakes instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def _magic_parser() -> _Parser:
    # The cell magic's own options; --no-show only matters there.
    parser = _Parser(prog=MAGIC, add_help=False, allow_abbrev=False)
    add_cell_options(parser)
    return parser


def magic_cell(cell: Cell) -> MagicCell | None:
    """The ``%%orcheo`` cell this is, or None; ExportError when its options are wrong."""
    if not cell.is_code:
        return None
    lines = cell.source.split("\n")
    index = next((i for i, text in enumerate(lines) if text.strip()), None)
    if index is None:
        return None
    header = lines[index].strip()
    if header != MAGIC and not header.startswith(MAGIC + " "):
        return None
    try:
        args = _magic_parser().parse_args(shlex.split(header[len(MAGIC) :]))
    except ValueError as exc:
        raise ExportError(
            [
                ExportProblem(
                    f"cannot read the magic's options: {exc}", cell.number, MAGIC, index + 1
                )
            ]
        ) from None
    body = "\n".join(lines[index + 1 :])
    return MagicCell(cell, args.name, args.format, body, args.dir, index + 1)


def to_python(source: str) -> str:
    """The cell as plain Python, magics turned into ``get_ipython()`` calls (as IPython does)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))


def parse_cell(cell: Cell) -> ast.Module | None:
    """The cell's syntax tree, or None when it is not Python (then it names nothing)."""
    try:
        return ast.parse(to_python(cell.source))
    except (SyntaxError, ValueError):
        return None


def _line_magic(node: ast.Call) -> tuple[str, str] | None:
    """``get_ipython().run_line_magic('orcheo', 'run x')`` -> ("orcheo", "run x")."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "run_line_magic"):
        return None
    args = node.args
    if len(args) < 2 or not all(isinstance(a, ast.Constant) for a in args[:2]):
        return None
    name, line = args[0].value, args[1].value  # type: ignore[attr-defined]
    if isinstance(name, str) and isinstance(line, str):
        return name, line
    return None


def references(cell: Cell) -> list[Reference]:
    """Workflow documents and names this cell uses, in the order it mentions them."""
    if not cell.is_code or cell.is_cell_magic:
        return []
    tree = parse_cell(cell)
    if tree is None:
        return []
    found: list[Reference] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text.endswith(SUFFIX) and "\n" not in text:
                found.append(Reference(cell, path=text))
        elif isinstance(node, ast.Call) and (magic := _line_magic(node)) is not None:
            if magic[0] != "orcheo":
                continue
            try:
                words = shlex.split(magic[1])
            except ValueError:
                continue
            if len(words) >= 2 and words[0] in _NAMING_COMMANDS and not words[1].startswith("-"):
                found.append(Reference(cell, name=words[1]))
    return found
