"""Where the magics keep workflows: ``NAME.orcheo.json`` beside the notebook and the store.

The store is the one the server reads (``Settings.from_env()``: ORCHEO_DATA_DIR
or the Jupyter data dir), so a workflow saved from a cell shows up in the REST
API and the Lab sidebar at once, and runs started in the kernel appear in the
server's run history. Everything here runs on the background loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import spec
from ..spec.io import stored_form, stored_row
from ..spec.models import Canvas, FrozenIRGraph, WorkflowDocument
from ..spec.problems import DocumentError
from ..store.base import Conflict, NotFound
from ..store.errors import VersionConflict
from ..store.records import RunRecord, WorkflowRecord
from ..store.workflow_tables import slugify

if TYPE_CHECKING:
    from ..runtime.executor import Executor  # LangGraph: loaded when a run starts

SUFFIX = ".orcheo.json"
T = TypeVar("T")


@dataclass(frozen=True)
class Saved:
    """A workflow as stored: its document (id filled in), file and version."""

    document: WorkflowDocument
    workflow_id: str
    version: int
    created: bool
    changed: bool
    path: Path | None


async def _executor() -> Executor:
    from .. import local

    return await local.executor()


async def with_executor(fn: Callable[[Executor], Awaitable[T]]) -> T:
    """``fn`` with the kernel's executor (the shared store the server reads)."""
    return await fn(await _executor())


def file_for(name: str, directory: Path) -> Path:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"a workflow name cannot be empty or contain '/': {name!r}")
    return directory / f"{name}{SUFFIX}"


async def find_record(name_or_id: str) -> WorkflowRecord | None:
    """The stored workflow with this id, slug or exact name."""
    store = (await _executor()).store
    for key in (name_or_id, slugify(name_or_id)):
        try:
            record = await store.get_workflow(key)
        except NotFound:
            continue
        if key == name_or_id or record.name == name_or_id:
            return record
    offset = 0
    while True:
        page, total = await store.list_workflows(query=name_or_id, limit=200, offset=offset)
        for record in page:
            if record.name == name_or_id:
                return record
        offset += len(page)
        if not page or offset >= total:
            return None


def admit(doc: WorkflowDocument) -> None:
    """The server's admission check: the document validates and LangGraph builds it."""
    # LangGraph: loaded by the first cell, not load_ext
    from ..runtime.build import build_graph, compile_check

    if not isinstance(doc.graph, FrozenIRGraph):
        build_graph(doc)
        return
    compile_check(doc)


async def save(
    doc: WorkflowDocument,
    path: Path | None,
    *,
    bases: Mapping[str, int] | None = None,
    force: bool = False,
) -> Saved:
    """Store ``doc`` (new workflow or new version) and write ``path`` when given.

    The workflow id comes from the document, else from the file already at
    ``path``, else from a stored workflow of the same name; else it is new.

    Someone else's version is never replaced silently: the edit's base version
    (``base_version``) is ``bases[id]`` (what this kernel last loaded or stored), else
    the stored version the file at ``path`` holds, else the one ``doc`` equals, else 0
    (made from no stored version). When the latest is another and ``doc`` is not it,
    ``VersionConflict`` is raised and nothing is stored or written; ``force`` stores
    it on top all the same.
    """
    admit(doc)
    store = (await _executor()).store
    workflow_id = doc.id
    if workflow_id is None and path is not None and path.exists():
        try:
            workflow_id = spec.load(path).id
        except DocumentError:
            workflow_id = None  # an unreadable old file is simply replaced
    if workflow_id is None:
        record = await find_record(doc.name)
        workflow_id = record.id if record is not None else None
    existing = None
    if workflow_id is not None:
        try:
            existing = await store.get_workflow(workflow_id)
        except NotFound:
            existing = None
    workflow_id = workflow_id or uuid.uuid4().hex
    stored = doc.model_copy(update={"id": workflow_id})
    fields = stored_row(stored)
    checksum = fields[3]  # (name, description, tags, checksum, text)
    if existing is None:
        try:
            await store.create_workflow(workflow_id, *fields)
            version, created, changed = 1, True, True
        except Conflict:  # created by someone else since get_workflow
            existing = await store.get_workflow(workflow_id)
            if not force:
                raise VersionConflict(workflow_id, 0, existing.latest_version) from None
    if existing is not None:
        base = None if force else await _base_version(existing, stored, checksum, path, bases or {})
        added = await store.add_version(workflow_id, *fields, base_version=base)
        version, created, changed = added.version, False, added.stored
    if path is not None:
        spec.save(stored, path)
    return Saved(stored, workflow_id, version, created, changed, path)


async def _base_version(
    existing: WorkflowRecord,
    doc: WorkflowDocument,
    checksum: str,
    path: Path | None,
    bases: Mapping[str, int],
) -> int:
    """The version ``doc`` (whose stored checksum is ``checksum``) was made from, as
    ``save`` describes it; the latest when it is that version unchanged (storing it
    replaces nothing)."""
    store = (await _executor()).store
    latest = await store.get_version(existing.id, with_document=False)
    if latest.checksum == checksum:
        return latest.version
    if existing.id in bases:
        return bases[existing.id]
    versions = {v.checksum: v.version for v in await store.list_versions(existing.id)}
    if path is not None and path.exists():
        try:
            on_file = spec.load(path)
        except DocumentError:
            on_file = None
        if on_file is not None and on_file.id == existing.id:
            found = versions.get(stored_form(on_file)[0])
            if found is None:
                found = await _version_but_layout(existing.id, on_file, latest.version)
            if found is not None:
                return found
            if _graph_only(on_file) == _graph_only(doc):
                # What is stored is the file's edits (a canvas Save, a hand edit) on a
                # version nobody can tell: the latest, as the Lab canvas assumes.
                return latest.version
    return versions.get(checksum, 0)


def _graph_only(document: WorkflowDocument) -> str:
    """``document``'s checksum with its layout (``canvas``) left out."""
    return stored_form(document.model_copy(update={"id": None, "canvas": Canvas()}))[0]


#: How many versions before the latest a file's document is compared with, layout aside.
LOOK_BACK = 5


async def _version_but_layout(workflow_id: str, doc: WorkflowDocument, latest: int) -> int | None:
    """The recent stored version ``doc`` is but for its layout (``canvas``): a file whose
    nodes were only moved still names the version it was made from."""
    store = (await _executor()).store
    wanted = _graph_only(doc)
    for version in range(latest, max(0, latest - LOOK_BACK - 1), -1):
        try:
            stored = await store.get_version(workflow_id, version)
        except NotFound:
            continue
        document = stored.document
        if document is not None and _graph_only(spec.document_from_data(document)) == wanted:
            return version
    return None


async def load(
    name: str, directory: Path, version: int | None = None
) -> tuple[WorkflowDocument, Path | None, int | None]:
    """A workflow by name: the file beside the notebook first, then the store.

    The version is the stored one read (None for the file).
    """
    path = file_for(name, directory) if "/" not in name else Path(name)
    if version is None and path.exists():
        return spec.load(path), path, None
    record = await find_record(name)
    if record is None:
        raise LookupError(
            f"no workflow named {name!r} (no {path.name} here and none in the store); "
            "`%orcheo list` shows what exists"
        )
    store = (await _executor()).store
    try:
        stored = await store.get_version(record.id, version)
    except NotFound:
        # The store names the workflow by its id; the notebook knows it by name.
        raise LookupError(
            f"workflow {name!r} has no version {version} "
            f"(its latest is version {record.latest_version})"
        ) from None
    assert stored.document is not None
    doc = spec.document_from_data(stored.document)
    return doc, path if path.exists() else None, stored.version


async def list_workflows(limit: int = 200) -> list[WorkflowRecord]:
    store = (await _executor()).store
    records, _ = await store.list_workflows(limit=limit)
    return records


async def list_runs(name: str, limit: int = 20) -> tuple[WorkflowRecord, list[RunRecord]]:
    record = await find_record(name)
    if record is None:
        raise LookupError(f"no stored workflow named {name!r}; `%orcheo list` shows what exists")
    store = (await _executor()).store
    runs, _ = await store.list_runs(workflow_id=record.id, limit=limit)
    return record, runs
