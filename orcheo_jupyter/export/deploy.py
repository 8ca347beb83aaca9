"""Deploy a bundle into a store: what ``jupyter orcheo --bundle DIR`` does at start-up.

Reading and checking happen first, before the server listens, so a broken bundle
stops the server with the file and the problem instead of serving half of it.
Storing is an upsert by the document's id, and the store records, per workflow, what
the last deployment stored (the bundle document's checksum and the version holding it):

- a new workflow is created;
- a bundle document that differs from the one deployed last (a new bundle, or a
  rollback to an earlier one) is stored as a new version on top of the latest, even
  when that is an edit stored on the server since (it stays in the history);
- the same bundle document as last time leaves the workflow alone: a version stored on
  the server since (Lab, a notebook, the REST API) stays the one served ("kept");
- a workflow no deployment recorded (stored by an older orcheo-jupyter, or through the
  API under the bundle's id) takes the bundle's document as a new version when its
  latest differs, as a first deployment; unless an earlier version holds that very
  document: that was the deployment (recorded now), and the versions after it are edits,
  kept as above.

Several servers may start with the same bundle on one store (scale-out on Postgres):
a workflow another one created meanwhile is read again, not an error, and a document
without an id takes one derived from its name, so that they agree on a single workflow.

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
from ..store.errors import Conflict, VersionConflict
from ..store.records import DeploymentRecord
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
    #: The version served now (for "kept": the one stored on the server).
    version: int
    outcome: str  # "created" | "updated" | "unchanged" | "kept"
    #: The version the previous deployment stored (None: no deployment is recorded).
    deployed: int | None = None
    #: "updated": the latest version it was stored over when no deployment stored that
    #: one (an edit made on the server, or an unrecorded deployment); else None.
    replaced: int | None = None

    @property
    def warns(self) -> bool:
        """The server does not serve what the bundle deployed, or an edit was replaced."""
        return self.outcome == "kept" or self.replaced is not None

    def describe(self) -> str:
        """One log line (after ``bundle workflow``) saying what the start did and why."""
        where = f"id {self.workflow_id}, /orcheo/hooks/{self.slug}"
        if self.outcome == "kept":
            return (
                f"{self.name}: kept version {self.version}, stored on this server since the "
                f"bundle's document was deployed as version {self.deployed} ({where}); the "
                "bundle's document is unchanged, so nothing was stored (restore version "
                f"{self.deployed} to serve it again, or change the bundle)"
            )
        line = (
            f"{self.name}: {self.outcome} (id {self.workflow_id}, version {self.version}, "
            f"/orcheo/hooks/{self.slug})"
        )
        if self.replaced is None:
            return line
        if self.deployed is None:
            return (
                f"{line}; no deployment of this workflow is recorded on this server, so the "
                f"bundle's document replaced version {self.replaced}, stored on this server "
                "(still in the history)"
            )
        return (
            f"{line}; the bundle's document differs from the one deployed as version "
            f"{self.deployed}, so it replaced version {self.replaced}, stored on this server "
            "since (still in the history)"
        )


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
    """Store each document under its id: created, updated (a new version), unchanged, or
    kept (an edit stored on the server since the same document was deployed)."""
    done = []
    for item in documents:
        doc = item.document
        workflow_id = doc.id or await _find_by_name(store, doc.name) or _id_for(doc.name)
        doc = doc.model_copy(update={"id": workflow_id})
        done.append(await _deploy(store, workflow_id, stored_row(doc)))
    return done


async def _unrecorded(
    store: Repository, workflow_id: str, checksum: str, latest: int
) -> DeploymentRecord | None:
    """For a workflow no deployment is recorded for (stored by an orcheo-jupyter from
    before the record): an earlier version holding the bundle's very document was its
    deployment, and the versions after it edits made on the server. Recorded as such, so
    this start keeps them as a recorded deployment would."""
    versions = await store.list_versions(workflow_id)
    version = max(
        (v.version for v in versions if v.checksum == checksum and v.version < latest),
        default=None,
    )
    if version is None:
        return None
    return await store.record_deployment(workflow_id, checksum, version)


#: Where the ids of bundled documents without one come from (see ``_id_for``).
_BUNDLE_IDS = uuid.UUID("5d0c4f0e-6a43-4f0b-9d47-6f0e0b1a7c21")


def _id_for(name: str) -> str:
    """The id of a new workflow for a bundled document that has none: the same on every
    server deploying it, where a random one made each create a workflow of that name."""
    return uuid.uuid5(_BUNDLE_IDS, name).hex


#: Reads and stores of one workflow's deployment, again when another process stored a
#: version in between; the last attempt stores without that check.
_ATTEMPTS = 3


async def _deploy(
    store: Repository, workflow_id: str, row: tuple[str, str, list[str], str, str]
) -> Installed:
    name, checksum = row[0], row[3]
    for attempt in range(_ATTEMPTS):
        try:
            before = await store.get_workflow(workflow_id)
        except NotFound:
            try:
                record = await store.create_workflow(workflow_id, *row, deployed=True)
            except Conflict:  # another server deploying the bundle created it meanwhile
                continue
            return Installed(name, record.id, record.slug, 1, "created")
        # The record before the latest version: a deployment stores both in one
        # transaction, so the latest read after it is at least the version it names. Read
        # the other way round, another server's deployment of this very bundle landing in
        # between looked like an edit on the server ("kept" the older version).
        last = await store.get_deployment(workflow_id)
        latest = await store.get_version(workflow_id, with_document=False)
        if last is None:
            last = await _unrecorded(store, workflow_id, checksum, latest.version)
        deployed = None if last is None else last.version
        if last is not None and last.checksum == checksum:  # the bundle deployed last time
            outcome = "unchanged" if latest.checksum == checksum else "kept"
            return Installed(name, before.id, before.slug, latest.version, outcome, deployed)
        # A first deployment, a new bundle or a rollback: the bundle's document on top,
        # over a latest that no deployment stored (an edit) if so.
        edited = last is None or latest.checksum != last.checksum
        try:
            version = await store.add_version(
                workflow_id,
                *row,
                with_document=False,
                base_version=latest.version if attempt < _ATTEMPTS - 1 else None,
                deployed=True,
            )
        except VersionConflict:
            continue
        record = await store.get_workflow(workflow_id)
        if not version.stored:  # the latest held the bundle's document already
            return Installed(name, record.id, record.slug, version.version, "unchanged", deployed)
        replaced = latest.version if edited else None
        return Installed(
            name, record.id, record.slug, version.version, "updated", deployed, replaced
        )
    raise AssertionError("unreachable: the last attempt stores unchecked")
