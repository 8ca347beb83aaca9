"""Reading and writing workflow documents: one canonical byte form.

Documents are UTF-8 JSON with sorted keys and 2-space indent so git diffs stay
small, and ``dumps(loads(text)) == text`` for any text this module wrote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .legacy import legacy_document, looks_legacy
from .models import FrozenIRGraph, GraphIR, WorkflowDocument
from .problems import DocumentError, problems_from_validation

SUFFIX = ".orcheo.json"


def document_from_data(data: Any, *, name: str | None = None) -> WorkflowDocument:
    """Accept a document, a bare graph, a bare GraphIR or a legacy graph.

    ``name`` names a document built from a bare graph (e.g. from the file name).
    """
    return read_document(data, name=name)[0]


def read_document(data: Any, *, name: str | None = None) -> tuple[WorkflowDocument, list[str]]:
    """Like ``document_from_data``, plus notices of what a conversion changed."""
    notices: list[str] = []
    if not isinstance(data, dict):
        raise DocumentError.single("type", f"expected a JSON object, got {type(data).__name__}")
    fallback = name or "workflow"
    if "graph" in data or ("name" in data and "nodes" not in data and "format" not in data):
        payload = data
    elif looks_legacy(data):
        payload, notices = legacy_document(data, fallback)
    elif "format" in data:
        payload = {"name": fallback, "graph": data}
    elif "schema_version" in data or "nodes" in data:
        try:
            ir = GraphIR.model_validate(data)
        except ValidationError as exc:
            raise DocumentError(problems_from_validation(exc)) from None
        payload = {
            "name": fallback,
            "graph": {"format": "frozen-ir", "entrypoint": ir.entrypoint, "ir": ir.model_dump()},
        }
    else:
        raise DocumentError.single(
            "shape",
            "not a workflow document: expected a 'graph' member, a graph with 'format', "
            "a GraphIR with 'nodes', or a legacy graph",
        )
    try:
        return WorkflowDocument.model_validate(payload), notices
    except ValidationError as exc:
        raise DocumentError(problems_from_validation(exc)) from None


def loads(text: str | bytes, *, name: str | None = None) -> WorkflowDocument:
    """Parse document text; broken JSON is reported with its line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError.single(
            "json", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise DocumentError.single("encoding", f"not UTF-8 text: {exc.reason}") from None
    return document_from_data(data, name=name)


def to_data(doc: WorkflowDocument) -> dict[str, Any]:
    """The document as plain JSON data (the canonical form, before encoding)."""
    return doc.model_dump(mode="json")


def dumps(doc: WorkflowDocument) -> str:
    """Canonical text: sorted keys, 2-space indent, UTF-8 characters kept, final newline."""
    return json.dumps(to_data(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stored_form(doc: WorkflowDocument) -> tuple[str, str]:
    """``(checksum, text)`` of the compact canonical form that stores keep.

    Compact (no indent) because the indenting encoder is pure Python and costs about
    ten times more; every store and the executor hash this same form.
    """
    text = json.dumps(to_data(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), text


def stored_row(doc: WorkflowDocument) -> tuple[str, str, list[str], str, str]:
    """What a store keeps of one version of ``doc``: ``(name, description, tags, checksum,
    text)``, in the order the stores' ``create_workflow`` and ``add_version`` take them."""
    checksum, text = stored_form(doc)
    return doc.name, doc.description, list(doc.tags), checksum, text


def checksum(doc: WorkflowDocument) -> str:
    """Content hash of the canonical form; equal documents hash equal."""
    return stored_form(doc)[0]


def name_from_path(path: Path) -> str:
    base = path.name
    for suffix in (SUFFIX, ".json", ".yaml", ".yml"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


#: The SHA-256 of each file this process last read or wrote, by resolved path.
_seen: dict[Path, str] = {}


def _saw(p: Path, raw: bytes) -> None:
    _seen[p.resolve()] = hashlib.sha256(raw).hexdigest()


def changed_elsewhere(path: str | Path) -> bool:
    """Whether the file differs from what this process last read or wrote there.

    A writer that keeps a document in memory (a notebook's canvas) asks before
    replacing the file, so another process's save is not lost without a word.
    False when this process never read or wrote the file, or it is gone.
    """
    p = Path(path).resolve()
    known = _seen.get(p)
    if known is None:
        return False
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest() != known
    except OSError:
        return False


def read_file(path: Path) -> bytes:
    """A workflow file's bytes (a document or a script); DocumentError naming the path
    when there is no file to read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DocumentError.single("missing_file", f"no such file: {path}") from None
    except IsADirectoryError:
        raise DocumentError.single("missing_file", f"is a directory, not a file: {path}") from None


def read_text(path: Path) -> str:
    """A workflow file as text (``read_file``), refused when it is not UTF-8. Line ends
    are read as ``open`` reads them (universal newlines: ``\r\n`` and ``\r`` become ``\n``)."""
    try:
        text = read_file(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError.single("encoding", f"not UTF-8 text: {exc.reason}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load(path: str | Path) -> WorkflowDocument:
    """Read a document (or a bare/legacy graph) from a file."""
    p = Path(path)
    raw = read_file(p)
    _saw(p, raw)
    if p.suffix in {".yaml", ".yml"}:
        import yaml

        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise DocumentError.single("yaml", f"invalid YAML: {exc}") from None
        return document_from_data(data, name=name_from_path(p))
    return loads(raw, name=name_from_path(p))


def save(doc: WorkflowDocument, path: str | Path) -> Path:
    """Write the canonical form atomically, so a crash never leaves half a file."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    raw = dumps(doc).encode("utf-8")
    tmp.write_bytes(raw)
    tmp.replace(p)
    _saw(p, raw)
    return p


def ir_of(doc: WorkflowDocument) -> GraphIR | None:
    """The GraphIR of a frozen-ir document, or None for script graphs."""
    return doc.graph.ir if isinstance(doc.graph, FrozenIRGraph) else None
