"""Deploy a bundle into a store: what ``jupyter orcheo --bundle DIR`` does at start-up.

Reading and checking happen first, before the server listens, so a broken bundle
stops the server with the file and the problem instead of serving half of it.
Storing is an upsert by the document's id: a new workflow, a new version when the
document differs from the latest (a rollback to an earlier bundle too; an edit stored
on the server since is replaced and stays in the history), nothing when it does not.
The trigger services then register the stored workflows and arm their triggers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from .. import spec
from ..spec.io import stored_row
from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError
from ..store.base import NotFound, Repository
from .bundle import MANIFEST
from .collect import check
from .notebook import SUFFIX


class BundleError(Exception):
    """The bundle cannot be served; the message names the file and the problem."""


@dataclass(frozen=True)
class BundledDocument:
    path: Path
    document: WorkflowDocument


@dataclass(frozen=True)
class Installed:
    name: str
    workflow_id: str
    slug: str
    version: int
    outcome: str  # "created" | "updated" | "unchanged"


def _files(directory: Path) -> list[Path]:
    manifest = directory / MANIFEST
    if not manifest.exists():  # a plain directory of documents works too
        files = sorted(directory.glob(f"*{SUFFIX}"))
        if not files:
            raise BundleError(f"{directory} holds no {MANIFEST} and no *{SUFFIX} documents")
        return files
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        names = [w["file"] for w in data["workflows"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{manifest} is not a bundle manifest: {exc}") from None
    files = []
    for name in names:
        if not isinstance(name, str) or "/" in name or "\\" in name or name in ("", ".", ".."):
            raise BundleError(f"{manifest}: {name!r} is not a file name in the bundle")
        files.append(directory / name)
    return files


def read_bundle(directory: str | Path) -> list[BundledDocument]:
    """The bundle's documents, each checked as the server admits documents."""
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise BundleError(f"no bundle directory at {root}")
    out = []
    for path in _files(root):
        try:
            doc = spec.load(path)
        except DocumentError as exc:
            raise BundleError(f"{path}: " + "; ".join(str(p) for p in exc.problems)) from None
        errors = check(doc)
        if errors:
            raise BundleError(f"{path}: " + "; ".join(str(p) for p in errors))
        out.append(BundledDocument(path, doc))
    return out


async def _find_by_name(store: Repository, name: str) -> str | None:
    offset = 0
    while True:
        page, total = await store.list_workflows(query=name, limit=200, offset=offset)
        for record in page:
            if record.name == name:
                return record.id
        offset += len(page)
        if not page or offset >= total:
            return None


async def install(store: Repository, documents: list[BundledDocument]) -> list[Installed]:
    """Store each document under its id (created, new version, or unchanged)."""
    done = []
    for item in documents:
        doc = item.document
        workflow_id = doc.id or await _find_by_name(store, doc.name) or uuid.uuid4().hex
        doc = doc.model_copy(update={"id": workflow_id})
        row = stored_row(doc)
        try:
            before = await store.get_workflow(workflow_id)
        except NotFound:
            record = await store.create_workflow(workflow_id, *row)
            done.append(Installed(doc.name, record.id, record.slug, 1, "created"))
            continue
        version = await store.add_version(workflow_id, *row)
        record = await store.get_workflow(workflow_id)
        outcome = "unchanged" if version.version == before.latest_version else "updated"
        done.append(Installed(doc.name, record.id, record.slug, version.version, outcome))
    return done
