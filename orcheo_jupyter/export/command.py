"""``orcheo-jupyter export NOTEBOOK -o DIR`` and ``%orcheo export [NOTEBOOK] [-o DIR]``.

Both read the notebook as saved on disk (the kernel's unsaved edits are not in
it), collect and check its workflows, and write the bundle. Problems are one
line each, naming the cell; warnings (a referenced file not there yet, an
import no installed package provides) are printed but do not stop the export.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn

from .bundle import Bundle, write_bundle
from .collect import collect
from .errors import ExportError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def default_output(notebook: Path) -> Path:
    return notebook.with_name(f"{notebook.stem}_bundle")


def export_notebook(notebook: str | Path, output: str | Path | None = None) -> Bundle:
    """Export ``notebook``'s workflows into ``output`` (default: ``<stem>_bundle`` beside it)."""
    path = Path(notebook).expanduser()
    collection = collect(path)
    return write_bundle(collection, Path(output).expanduser() if output else default_output(path))


def _refused(exc: ExportError) -> int:
    if exc.title:
        sys.stderr.write(f"error: {exc.title}\n")
    for problem in exc.problems:
        sys.stderr.write(f"{'  ' if exc.title else 'error: '}{problem}\n")
    invalid = exc.title is not None
    return EXIT_INVALID if invalid else EXIT_USAGE


def cmd_export(args: argparse.Namespace) -> int:
    try:
        bundle = export_notebook(args.notebook, args.output)
    except ExportError as exc:
        return _refused(exc)
    for warning in bundle.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    print(bundle.summary())
    return EXIT_OK


# --- %orcheo export -----------------------------------------------------------------------
class _MagicParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ValueError(message or self.format_help())


def _current_notebook(shell: Any) -> Path | None:
    """The notebook this kernel runs, when Jupyter told the kernel (``__session__``)."""
    candidates = [os.environ.get("JPY_SESSION_NAME")]
    if shell is not None:
        candidates.append(getattr(shell, "user_ns", {}).get("__session__"))
    for value in candidates:
        if isinstance(value, str) and value.endswith(".ipynb") and Path(value).exists():
            return Path(value)
    return None


def magic(line: str, shell: Any) -> Bundle:
    """``%orcheo export [NOTEBOOK] [-o DIR]``; the bundle (its repr is the summary)."""
    from ..magics.errors import CellProblem, OrcheoCellError

    parser = _MagicParser(prog="%orcheo export", add_help=False, allow_abbrev=False)
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("-o", "--output", default=None)
    parser.add_argument("-h", "--help", action="store_true")
    try:
        args = parser.parse_args(shlex.split(line))
    except ValueError as exc:
        raise OrcheoCellError(f"{exc}\nusage: {parser.format_usage().strip()[7:]}") from None
    if args.help:
        print(
            "%orcheo export [NOTEBOOK.ipynb] [-o DIR]\n"
            "    Bundle the notebook's workflows (as saved on disk) for deployment: documents,\n"
            "    pinned requirements, config example, README, LangGraph files. Default\n"
            "    NOTEBOOK: this notebook; default DIR: NOTEBOOK_bundle."
        )
        return None  # type: ignore[return-value]
    notebook = Path(args.notebook) if args.notebook else _current_notebook(shell)
    if notebook is None:
        raise OrcheoCellError(
            "name the notebook to export: %orcheo export NOTEBOOK.ipynb "
            "(this kernel was not told which notebook it runs)"
        )
    try:
        bundle = export_notebook(notebook, args.output)
    except ExportError as exc:
        raise OrcheoCellError(
            [CellProblem(str(p)) for p in exc.problems], title=exc.title
        ) from None
    for warning in bundle.warnings:
        print(f"⚠ {warning}", file=sys.stderr)
    return bundle
