"""Documents, workflows and their immutable versions: one implementation for both databases.

Mixed into ``SqliteRepository`` and ``PostgresRepository``, which supply ``_sql``
(see ``store/sql.py``). Workflow writes choose unique slugs, so they are
serialised: by SQLite's single writer, by an advisory lock on Postgres.
"""

from __future__ import annotations

import json
import re

from ..common.timestamps import utcnow
from .errors import Conflict, NotFound, VersionConflict
from .records import AddedVersion, DeploymentRecord, VersionRecord, WorkflowRecord
from .sql import (
    LIKE_ESCAPE,
    Database,
    Dialect,
    Row,
    Steps,
    fetch_one,
    insert,
    like_pattern,
    one,
    page,
    rows,
    run,
    upsert,
    where,
)
from .tables import BUNDLE_DEPLOYMENTS, DOCUMENTS, WORKFLOW_VERSIONS, WORKFLOWS

PUT_DOCUMENT = insert("documents", DOCUMENTS.names, "ON CONFLICT DO NOTHING")
_WORKFLOW_COLUMNS = WORKFLOWS.names
_INSERT_VERSION = insert("workflow_versions", WORKFLOW_VERSIONS.names)
_DOCUMENT_BODY = "SELECT body FROM documents WHERE checksum = ?"
_RECORD_DEPLOYMENT = upsert("bundle_deployments", BUNDLE_DEPLOYMENTS.names, ("workflow_id",))
_WORKFLOW_LOCK = "orcheo:workflows"  # one key shared by every process


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "workflow"


class WorkflowTables:
    """The workflow half of the Repository protocol on ``self._sql``."""

    _sql: Database

    async def put_document(self, checksum: str, body: str) -> None:
        self._sql.dialect.check_text("document", body)
        await self._sql.write(lambda: _put_document(checksum, body, utcnow()))

    async def get_document(self, checksum: str) -> str:
        row = await self._sql.read(lambda: fetch_one(_DOCUMENT_BODY, (checksum,)), inline=True)
        if row is None:
            raise NotFound(f"document {checksum} not found")
        return str(row["body"])

    async def create_workflow(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
        *,
        deployed: bool = False,
    ) -> WorkflowRecord:
        """Version 1 of a new workflow; ``deployed``: a bundle deployment stored it (its
        ``get_deployment``, recorded in the same transaction)."""
        d = self._sql.dialect
        for field, value in (("id", workflow_id), ("name", name), ("description", description)):
            d.check_text(field, value)
        now = utcnow()

        def steps() -> Steps[None]:
            yield from _locked(d)
            if (yield one("SELECT 1 FROM workflows WHERE id = ?", (workflow_id,))):
                raise Conflict(f"workflow {workflow_id} already exists")
            slug = yield from _free_slug(name)
            yield from _put_document(checksum, body, now)
            yield run(
                insert("workflows", _WORKFLOW_COLUMNS),
                (workflow_id, name, slug, description, d.jsonb(tags), 1, now, now),
            )
            yield run(_INSERT_VERSION, (workflow_id, 1, checksum, now))
            if deployed:
                yield run(_RECORD_DEPLOYMENT, (workflow_id, checksum, 1, now))

        await self._sql.write(steps)
        return await self.get_workflow(workflow_id)

    async def add_version(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
        *,
        with_document: bool = True,
        base_version: int | None = None,
        deployed: bool = False,
    ) -> AddedVersion:
        """A new version (the latest again, ``stored`` False, when ``body`` is unchanged).

        ``base_version``: the version the edit was made from; VersionConflict when the
        latest is another (and ``body`` is not the latest's), checked in the same
        transaction as the write. ``deployed``: a bundle deployment stored ``body``; the
        version holding it (new or the latest) becomes the workflow's ``get_deployment``
        in the same transaction.
        """
        d = self._sql.dialect
        for field, value in (("name", name), ("description", description)):
            d.check_text(field, value)
        now = utcnow()

        def steps() -> Steps[tuple[str, int, bool]]:
            yield from _locked(d)
            current = yield from _workflow_row(workflow_id)
            wid, latest_version = current["id"], current["latest_version"]
            latest = yield one(
                "SELECT checksum FROM workflow_versions WHERE workflow_id = ? AND version = ?",
                (wid, latest_version),
            )
            if latest is not None and latest["checksum"] == checksum:
                if deployed:
                    yield run(_RECORD_DEPLOYMENT, (wid, checksum, latest_version, now))
                return wid, latest_version, False  # replaces nothing, whatever it was made from
            if base_version is not None and base_version != latest_version:
                raise VersionConflict(wid, base_version, latest_version)
            version = latest_version + 1
            slug = (
                current["slug"] if name == current["name"] else (yield from _free_slug(name, wid))
            )
            yield from _put_document(checksum, body, now)
            yield run(_INSERT_VERSION, (wid, version, checksum, now))
            yield run(
                "UPDATE workflows SET name = ?, slug = ?, description = ?, tags = ?,"
                " latest_version = ?, updated_at = ? WHERE id = ?",
                (name, slug, description, d.jsonb(tags), version, now, wid),
            )
            if deployed:
                yield run(_RECORD_DEPLOYMENT, (wid, checksum, version, now))
            return wid, version, True

        wid, version, stored = await self._sql.write(steps)
        record = await self.get_version(wid, version, with_document=with_document)
        return AddedVersion(**vars(record), stored=stored)

    async def record_deployment(
        self, workflow_id: str, checksum: str, version: int
    ) -> DeploymentRecord:
        """Record that a bundle deployment stored ``version`` (holding ``checksum``)
        earlier: for workflows an older orcheo-jupyter deployed without recording it."""
        record = DeploymentRecord(workflow_id, checksum, version, utcnow())

        def steps() -> Steps[None]:
            yield from _locked(self._sql.dialect)
            yield run(_RECORD_DEPLOYMENT, (workflow_id, checksum, version, record.deployed_at))

        await self._sql.write(steps)
        return record

    async def get_deployment(self, workflow_id: str) -> DeploymentRecord | None:
        """What the workflow's last bundle deployment stored (None: no deployment did)."""
        row = await self._sql.read(
            lambda: fetch_one(
                "SELECT * FROM bundle_deployments WHERE workflow_id = ?", (workflow_id,)
            ),
            inline=True,
        )
        if row is None:
            return None
        return DeploymentRecord(
            row["workflow_id"], row["checksum"], row["version"], row["deployed_at"]
        )

    async def get_workflow(self, id_or_slug: str) -> WorkflowRecord:
        row = await self._sql.read(lambda: _workflow_row(id_or_slug), inline=True)
        return _workflow(self._sql.dialect, row)

    async def list_workflows(
        self,
        *,
        query: str | None = None,
        tag: str | None = None,
        limit: int = 50,
        offset: int = 0,
        ref: str | None = None,
    ) -> tuple[list[WorkflowRecord], int]:
        """A page of workflows; ``ref``: only the one with that id or slug (a page of 0 or 1)."""
        d = self._sql.dialect
        like = None if not query else (like_pattern(query),) * 3
        match = f"{d.like} ? {LIKE_ESCAPE}"
        clause, params = where(
            [
                (f"(name {match} OR description {match} OR slug {match})", like),
                (d.contains("workflows.tags"), tag or None),
                ("(id = ? OR slug = ?)", None if ref is None else (ref, ref)),
            ]
        )
        found, total = await self._sql.read(
            lambda: page("workflows", clause, params, "updated_at DESC, id", limit, offset)
        )
        return [_workflow(d, r) for r in found], total

    async def delete_workflow(self, workflow_id: str) -> None:
        def steps() -> Steps[None]:
            yield from _locked(self._sql.dialect)
            row = yield from _workflow_row(workflow_id)
            yield run("DELETE FROM workflow_versions WHERE workflow_id = ?", (row["id"],))
            yield run("DELETE FROM workflows WHERE id = ?", (row["id"],))

        await self._sql.write(steps)

    async def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        def steps() -> Steps[list[Row]]:
            row = yield from _workflow_row(workflow_id)
            found: list[Row] = yield rows(
                "SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY version",
                (row["id"],),
            )
            return found

        return [
            VersionRecord(r["workflow_id"], r["version"], r["checksum"], r["created_at"])
            for r in await self._sql.read(steps)
        ]

    async def get_version(
        self, workflow_id: str, version: int | None = None, *, with_document: bool = True
    ) -> VersionRecord:
        """``with_document=False`` leaves ``document`` None: decoding a 10,000-node
        document is a tenth of a second that a caller holding it parsed need not pay."""
        select = (
            "SELECT v.*, d.body FROM workflow_versions v"
            " JOIN documents d ON d.checksum = v.checksum"
            if with_document
            else "SELECT v.*, NULL AS body FROM workflow_versions v"
        )

        def steps() -> Steps[Row | None]:
            wf = yield from _workflow_row(workflow_id)
            number = wf["latest_version"] if version is None else version
            found: Row | None = yield one(
                f"{select} WHERE v.workflow_id = ? AND v.version = ?", (wf["id"], number)
            )
            return found

        row = await self._sql.read(steps, inline=True)
        if row is None:
            raise NotFound(f"workflow {workflow_id!r} has no version {version}")
        return VersionRecord(
            row["workflow_id"],
            row["version"],
            row["checksum"],
            row["created_at"],
            json.loads(row["body"]) if with_document else None,
        )


def _locked(d: Dialect) -> Steps[None]:
    step = d.lock(_WORKFLOW_LOCK)
    if step is not None:
        yield step


def _put_document(checksum: str, body: str, now: str) -> Steps[None]:
    yield run(PUT_DOCUMENT, (checksum, body, now))


def _free_slug(name: str, workflow_id: str | None = None) -> Steps[str]:
    base = slugify(name)
    found = yield rows(
        "SELECT slug, id FROM workflows WHERE slug = ? OR slug LIKE ?", (base, f"{base}-%")
    )
    taken = {r["slug"] for r in found if r["id"] != workflow_id}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _workflow_row(id_or_slug: str) -> Steps[Row]:
    row = yield one(
        "SELECT * FROM workflows WHERE id = ? OR slug = ? ORDER BY (id = ?) DESC LIMIT 1",
        (id_or_slug, id_or_slug, id_or_slug),
    )
    if row is None:
        raise NotFound(f"workflow {id_or_slug!r} not found")
    return row


def _workflow(d: Dialect, row: Row) -> WorkflowRecord:
    return WorkflowRecord(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        description=row["description"],
        tags=list(d.from_json(row["tags"])),
        latest_version=row["latest_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
