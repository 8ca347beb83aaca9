"""Collect a notebook's workflows: ``%%orcheo`` cells and the documents its cells name.

Cells are built with the magic's own ``build_cell`` (JSON/YAML cells are only
parsed; Python builder cells run in a namespace of the notebook's imports and
literals, nothing else). Documents named by other cells (``"x.orcheo.json"``,
``%orcheo run x``) are read from beside the notebook. Every workflow is then
checked as the server would admit it, and any problem refuses the export with
the cell that holds it.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from .. import spec
from ..spec.models import FrozenIRGraph, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from .errors import ExportError, ExportProblem
from .namespace import Namespace, Parameters, notebook_namespace, parameters
from .notebook import SUFFIX, Cell, MagicCell, Reference, magic_cell, read_cells, references


@dataclass
class Collected:
    """One workflow of the notebook, and where it came from."""

    name: str
    document: WorkflowDocument
    origin: str  # "cell 4 (%%orcheo greet)" or "greet.orcheo.json (named in cell 9)"
    cell: int | None
    what: str


@dataclass
class Collection:
    notebook: Path
    workflows: list[Collected]
    parameters: Parameters
    warnings: list[str] = field(default_factory=list)


def check(doc: WorkflowDocument) -> list[Problem]:
    """Errors that keep a document from running: validation, building, trigger settings."""
    from ..runtime.build import compile_check
    from ..triggers.config import document_problems

    errors = [p for p in document_problems(doc) if p.severity == "error"]
    # A script graph is built by running the script: export reads it, never runs it.
    if not errors and isinstance(doc.graph, FrozenIRGraph):
        try:
            compile_check(doc)
        except DocumentError as exc:
            errors += [p for p in exc.problems if p.severity == "error"]
    return errors


def _saved_file(magic: MagicCell, here: Path) -> Path:
    directory = here / magic.directory if magic.directory else here
    return directory / f"{magic.name}{SUFFIX}"


def _saved_id(path: Path) -> str | None:
    """The workflow id the cell's saved file carries (the magic keeps it across runs)."""
    if not path.exists():
        return None
    try:
        return spec.load(path).id
    except DocumentError:
        return None


def _name_error(problems: list[ExportProblem]) -> str | None:
    for problem in problems:
        if problem.message.startswith("NameError: name '"):
            return problem.message.split("'")[1]
    return None


def build_magic(
    magic: MagicCell, namespace: Namespace | None, here: Path, warnings: list[str]
) -> WorkflowDocument:
    """The workflow a ``%%orcheo`` cell builds, as the magic would build it."""
    from ..magics.cell import build_cell
    from ..magics.errors import OrcheoCellError

    saved = _saved_file(magic, here)
    values = namespace.values if namespace is not None else None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # what the cell prints is not ours
            built = build_cell(magic.body, magic.name, magic.fmt, namespace=values)
    except OrcheoCellError as exc:
        problems = [magic.problem(p.message, p.line) for p in exc.problems]
        missing = _name_error(problems)
        if missing is not None and saved.exists():
            warnings.append(
                f"cell {magic.cell.number} ({magic.what}) uses {missing!r}, which the notebook "
                f"computes when it runs; exported the document the cell saved ({saved.name})"
            )
            return spec.load(saved)
        if missing is not None and namespace is not None and missing in namespace.computed:
            where = namespace.computed[missing]
            problems = [
                ExportProblem(
                    f"{p.message} ({missing!r} is set in cell {where} by code export does not "
                    f"run: it reads only imports and literal assignments; make it a literal, "
                    f"or run the notebook so that {saved.name} exists)",
                    p.cell,
                    p.what,
                    p.line,
                )
                if p.message.startswith("NameError")
                else p
                for p in problems
            ]
        raise ExportError(problems) from None
    doc = built.workflow.document.model_copy(deep=True)
    for warning in built.warnings:
        warnings.append(f"cell {magic.cell.number} ({magic.what}): {warning}")
    saved_id = _saved_id(saved)
    if doc.id is None and saved_id is not None:
        doc.id = saved_id
    drift = _drift(doc, saved)
    if drift is not None:
        warnings.append(
            f"{saved.name} beside the notebook differs from cell {magic.cell.number} "
            f"({magic.what}): {drift} (saved by a canvas, %orcheo push or an editor since "
            f"the cell last ran); "
            f"the bundle holds the cell's workflow. Re-run the cell to save it over the file, "
            f"or `%orcheo code {magic.name}` to turn the file into a cell"
        )
    return doc


def _drift(built: WorkflowDocument, saved: Path) -> str | None:
    """What the cell's saved file has that the cell does not build (layout aside), or None.

    A canvas saves its edits to the file, not into the cell: export builds the cell,
    so without this the bundle would drop those edits without a word.
    """
    from ..spec.diff import diff_documents

    if not saved.exists():
        return None
    try:
        on_disk = spec.load(saved)
    except DocumentError:
        return None
    summary = str(diff_documents(built, on_disk)["summary"])
    return None if summary in ("no changes", "layout changed only") else f"the file has {summary}"


def _from_reference(
    ref: Reference,
    here: Path,
    known: dict[str, Collected],
    warnings: list[str],
    missing: set[Path],
) -> tuple[Path, WorkflowDocument] | None:
    where = f"cell {ref.cell.number}"
    if ref.name is not None:
        if ref.name in known:
            return None
        path = here / f"{ref.name}{SUFFIX}"
        if not path.exists() and path not in missing:
            missing.add(path)
            warnings.append(
                f"{where} uses workflow {ref.name!r}, which is neither a %%orcheo cell nor a "
                f"file beside the notebook; not exported"
            )
        if not path.exists():
            return None
    else:
        assert ref.path is not None
        path = Path(ref.path).expanduser()
        path = path if path.is_absolute() else here / path
        stem = path.name[: -len(SUFFIX)]
        if stem in known and path == here / f"{stem}{SUFFIX}":
            return None  # the file a %%orcheo cell saves: the cell is exported instead
        if not path.exists():
            if path not in missing:
                missing.add(path)
                warnings.append(
                    f"{where} names {ref.path}, which does not exist (yet): run the notebook "
                    "first to export it"
                )
            return None
    try:
        return path, spec.load(path)
    except DocumentError as exc:
        raise ExportError(
            [
                ExportProblem(p.describe(), ref.cell.number, path.name)
                for p in exc.problems
                if p.severity == "error"
            ]
        ) from None


def collect(notebook: str | Path) -> Collection:
    """Every workflow of the notebook, checked; ExportError naming the cells that fail."""
    path = Path(notebook)
    cells = read_cells(path)
    here = path.resolve().parent
    params = parameters(cells)
    warnings: list[str] = []
    found: dict[str, Collected] = {}
    problems: list[ExportProblem] = []
    before: list[Cell] = []
    for cell in cells:
        magic = magic_cell(cell)
        if magic is None:
            before.append(cell)
            continue
        namespace = notebook_namespace(before) if magic.fmt == "python" else None
        try:
            doc = build_magic(magic, namespace, here, warnings)
        except ExportError as exc:
            problems += exc.problems
            continue
        if magic.name in found:
            warnings.append(
                f"cell {cell.number} builds {magic.name!r} again (first in "
                f"{found[magic.name].origin}); the later cell is exported"
            )
        found[magic.name] = Collected(
            magic.name, doc, f"cell {cell.number} ({magic.what})", cell.number, magic.what
        )
    files: dict[Path, str] = {}
    missing: set[Path] = set()
    for cell in cells:
        for ref in references(cell):
            try:
                hit = _from_reference(ref, here, found, warnings, missing)
            except ExportError as exc:
                problems += exc.problems
                continue
            if hit is None or hit[0] in files:
                continue
            file_path, doc = hit
            if doc.name in found:
                warnings.append(
                    f"{file_path.name} (named in cell {cell.number}) holds workflow "
                    f"{doc.name!r}, already exported from {found[doc.name].origin}; skipped"
                )
                continue
            files[file_path] = doc.name
            found[doc.name] = Collected(
                doc.name,
                doc,
                f"{file_path.name} (named in cell {cell.number})",
                cell.number,
                file_path.name,
            )
    for item in found.values():
        problems += [
            ExportProblem(p.describe(), item.cell, item.what) for p in check(item.document)
        ]
    if problems:
        problems.sort(key=lambda p: (p.cell or 0, p.line is None, p.line or 0))
        raise ExportError(
            problems, title=f"{path.name} cannot be exported: its workflows do not validate"
        )
    if not found:
        raise ExportError(
            [ExportProblem(w) for w in warnings],
            title=f"{path.name} has no workflows to export: no %%orcheo cells, and no "
            f"*{SUFFIX} document its cells name exists",
        )
    return Collection(path, list(found.values()), params, warnings)
