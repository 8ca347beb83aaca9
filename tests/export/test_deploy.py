"""Installing a bundle's documents into a store: what each start of ``--bundle`` stores.

The store records what each deployment stored, so a start with the bundle deployed
last keeps a version stored on the server since, and a changed bundle (a rollback
too) is stored over it. The server processes' logs: tests/export/test_bundle_server.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.export.deploy import BundledDocument, install
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec.io import stored_row
from orcheo_jupyter.store import Repository, SqliteRepository
from orcheo_jupyter.store.factory import open_repository

T = TypeVar("T")


def _bundle(text: str) -> list[BundledDocument]:
    doc = spec.document_from_data(
        {
            "id": "wf-greet",
            "name": "greet",
            "graph": {
                "format": "frozen-ir",
                "ir": {
                    "entrypoint": "say",
                    "nodes": [
                        {
                            "kind": "builtin",
                            "id": "say",
                            "type": "SetVariableNode",
                            "config": {"variables": {"text": text}},
                        }
                    ],
                    "edges": [{"source": "say", "target": "__end__"}],
                },
            },
        }
    )
    return [BundledDocument(Path("greet.orcheo.json"), doc)]


def test_a_rollback_to_an_earlier_bundle_is_deployed_as_a_new_version(tmp_path: Path) -> None:
    async def deploy_a_b_a() -> list[tuple[str, int]]:
        store = await open_repository(Settings(data_dir=tmp_path))
        try:
            outcomes = []
            for text in ("A", "A", "B", "A"):
                (done,) = await install(store, _bundle(text))
                outcomes.append((done.outcome, done.version))
            stored = await store.get_version("wf-greet")
            assert stored.document is not None
            say = stored.document["graph"]["ir"]["nodes"][0]["config"]["variables"]["text"]
            outcomes.append((say, stored.version))
            return outcomes
        finally:
            await store.close()

    assert asyncio.run(deploy_a_b_a()) == [
        ("created", 1),
        ("unchanged", 1),
        ("updated", 2),
        ("updated", 3),
        ("A", 3),
    ]


def _with_store(tmp_path: Path, work: Callable[[Repository], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await open_repository(Settings(data_dir=tmp_path))
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


async def _served(store: Repository) -> tuple[str, int]:
    """The text the latest version says, and its number."""
    latest = await store.get_version("wf-greet")
    assert latest.document is not None
    return latest.document["graph"]["ir"]["nodes"][0]["config"]["variables"]["text"], latest.version


async def _edit_on_server(store: Repository, text: str) -> None:
    """What a PUT through the API (Lab, a notebook, REST) stores."""
    (item,) = _bundle(text)
    await store.add_version("wf-greet", *stored_row(item.document))


def test_a_restart_keeps_an_edit_made_on_the_server_and_a_new_bundle_replaces_it(
    tmp_path: Path,
) -> None:
    async def steps(store: Repository) -> list[object]:
        seen: list[object] = []
        for step in ("A", "edit E", "A", "A", "B", "A"):
            if step.startswith("edit "):
                await _edit_on_server(store, step.split()[1])
                continue
            (done,) = await install(store, _bundle(step))
            seen.append((done.outcome, done.version, done.deployed, done.replaced, done.warns))
            seen.append(await _served(store))
        seen.append(done.describe())
        return seen

    assert _with_store(tmp_path, steps) == [
        ("created", 1, None, None, False),
        ("A", 1),
        ("kept", 2, 1, None, True),  # the edit stored on the server (version 2) stays
        ("E", 2),
        ("kept", 2, 1, None, True),
        ("E", 2),
        ("updated", 3, 1, 2, True),  # a new bundle: stored over the edit, which is named
        ("B", 3),
        ("updated", 4, 3, None, False),  # a rollback to A: deployed again
        ("A", 4),
        "greet: updated (id wf-greet, version 4, /orcheo/hooks/greet)",
    ]


def test_the_log_lines_name_the_versions(tmp_path: Path) -> None:
    async def steps(store: Repository) -> list[str]:
        await install(store, _bundle("A"))
        await _edit_on_server(store, "E")
        (kept,) = await install(store, _bundle("A"))
        (replaced,) = await install(store, _bundle("B"))
        return [kept.describe(), replaced.describe()]

    assert _with_store(tmp_path, steps) == [
        "greet: kept version 2, stored on this server since the bundle's document was "
        "deployed as version 1 (id wf-greet, /orcheo/hooks/greet); the bundle's document is "
        "unchanged, so nothing was stored (restore version 1 to serve it again, or change "
        "the bundle)",
        "greet: updated (id wf-greet, version 3, /orcheo/hooks/greet); the bundle's document "
        "differs from the one deployed as version 1, so it replaced version 2, stored on "
        "this server since (still in the history)",
    ]


def test_a_workflow_no_deployment_recorded_takes_the_bundle_as_a_first_deployment(
    tmp_path: Path,
) -> None:
    """Stored before deployments were recorded (an older orcheo-jupyter) or through the API
    under the bundle's id: the bundle's document is stored if it differs, and recorded."""

    async def steps(store: Repository) -> list[object]:
        (item,) = _bundle("X")
        await store.create_workflow("wf-greet", *stored_row(item.document))
        (first,) = await install(store, _bundle("A"))
        await _edit_on_server(store, "E")
        (then,) = await install(store, _bundle("A"))
        return [
            (first.outcome, first.version, first.deployed, first.replaced),
            first.describe(),
            (then.outcome, then.version, then.deployed),
        ]

    assert _with_store(tmp_path, steps) == [
        ("updated", 2, None, 1),
        "greet: updated (id wf-greet, version 2, /orcheo/hooks/greet); no deployment of this "
        "workflow is recorded on this server, so the bundle's document replaced version 1, "
        "stored on this server (still in the history)",
        ("kept", 3, 2),
    ]


def test_an_upgrade_keeps_an_edit_made_after_an_unrecorded_deployment(tmp_path: Path) -> None:
    """An older orcheo-jupyter stored bundle A as version 1 without recording it, then an
    edit was made on the server: the first start after the upgrade finds A in the history,
    records it as the deployment and keeps the edit, as every later start does."""

    async def steps(store: Repository) -> list[object]:
        (item,) = _bundle("A")
        await store.create_workflow("wf-greet", *stored_row(item.document))  # not recorded
        await _edit_on_server(store, "E")
        seen: list[object] = []
        for _ in range(2):
            (done,) = await install(store, _bundle("A"))
            seen.append((done.outcome, done.version, done.deployed, done.warns))
        deployment = await store.get_deployment("wf-greet")
        assert deployment is not None
        seen.append((deployment.version, deployment.checksum == stored_row(item.document)[3]))
        (done,) = await install(store, _bundle("B"))  # a new bundle still replaces the edit
        seen.append((done.outcome, done.version, done.deployed, done.replaced))
        seen.append(await _served(store))
        return seen

    assert _with_store(tmp_path, steps) == [
        ("kept", 2, 1, True),
        ("kept", 2, 1, True),
        (1, True),
        ("updated", 3, 1, 2),
        ("B", 3),
    ]


def test_a_version_stored_elsewhere_during_the_deployment_is_read_again_and_named(
    tmp_path: Path,
) -> None:
    """Another process (a kernel on the same file, a second server) stores a version
    between the deployment's reads and its write: the write is refused and read again, so
    the log names that version as the one replaced."""

    class StoresMeanwhile:
        def __init__(self, inner: Repository) -> None:
            self.inner, self.pending = inner, True

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        async def get_version(self, *args: object, **kwargs: object) -> object:
            read = await self.inner.get_version(*args, **kwargs)  # type: ignore[arg-type]
            if self.pending:
                self.pending = False
                await _edit_on_server(self.inner, "E")
            return read

    async def steps(store: Repository) -> list[object]:
        await install(store, _bundle("A"))
        (done,) = await install(StoresMeanwhile(store), _bundle("B"))  # type: ignore[arg-type]
        return [(done.outcome, done.version, done.deployed, done.replaced), await _served(store)]

    assert _with_store(tmp_path, steps) == [("updated", 3, 1, 2), ("B", 3)]


@pytest.mark.parametrize("between", ["get_deployment", "get_version"])
def test_the_same_bundle_deployed_by_another_server_between_the_reads_is_unchanged(
    tmp_path: Path, between: str
) -> None:
    """Another server stores this very bundle (version and record, one transaction) while
    this one reads what is deployed: this one finds it there ("unchanged" at version 2),
    never takes it for an edit on the server and keeps version 1 ("kept")."""

    class OtherDeploysFirst:
        def __init__(self, inner: Repository) -> None:
            self.inner, self.pending = inner, True

        def __getattr__(self, name: str) -> object:
            read = getattr(self.inner, name)
            if name != between or not self.pending:
                return read

            async def after_the_other(*args: object, **kwargs: object) -> object:
                self.pending = False
                await install(self.inner, _bundle("B"))
                return await read(*args, **kwargs)

            return after_the_other

    async def steps(store: Repository) -> list[object]:
        await install(store, _bundle("A"))
        (done,) = await install(OtherDeploysFirst(store), _bundle("B"))  # type: ignore[arg-type]
        versions = await store.list_versions("wf-greet")
        return [
            (done.outcome, done.version),
            await _served(store),
            sorted(v.version for v in versions),
        ]

    assert _with_store(tmp_path, steps) == [("unchanged", 2), ("B", 2), [1, 2]]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("named_only", [False, True], ids=["with-id", "name-only"])
def test_servers_deploying_one_bundle_at_once_agree_on_one_workflow(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, named_only: bool
) -> None:
    """Two servers on one store start with the same bundle at the same moment (scale-out):
    one creates the workflow, the other finds it; then a new bundle is stored once. A
    document without an id is one workflow too, not one per server."""

    def bundle(text: str) -> list[BundledDocument]:
        (item,) = _bundle(text)
        if named_only:
            item = BundledDocument(item.path, item.document.model_copy(update={"id": None}))
        return [item]

    def open_store() -> Repository:
        if backend == "postgres":
            from orcheo_jupyter.store.postgres import PostgresRepository

            return PostgresRepository(dsn, max_size=4)
        return SqliteRepository(tmp_path / "orcheo.sqlite")

    dsn = request.getfixturevalue("postgres_dsn") if backend == "postgres" else ""

    class CreatesTogether:
        """Both servers have looked and found nothing before either creates."""

        def __init__(self, inner: Repository, barrier: asyncio.Barrier) -> None:
            self.inner, self.barrier = inner, barrier

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        async def create_workflow(self, *args: object, **kwargs: object) -> object:
            await self.barrier.wait()
            return await self.inner.create_workflow(*args, **kwargs)  # type: ignore[arg-type]

    async def both_servers() -> list[object]:
        first, second = open_store(), open_store()
        await first.open()
        await second.open()
        barrier = asyncio.Barrier(2)
        servers = [CreatesTogether(first, barrier), CreatesTogether(second, barrier)]
        try:
            seen: list[object] = []
            for text in ("A", "B"):
                done = await asyncio.gather(
                    *(install(server, bundle(text)) for server in servers)  # type: ignore[arg-type]
                )
                seen.append(sorted((d.outcome, d.version) for (d,) in done))
                assert done[0][0].workflow_id == done[1][0].workflow_id
            workflows, _ = await first.list_workflows(limit=10)
            seen.append([(w.name, w.slug) for w in workflows])
            versions = await first.list_versions(workflows[0].id)
            seen.append(sorted(v.version for v in versions))
            return seen
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(both_servers()) == [
        [("created", 1), ("unchanged", 1)],
        [("unchanged", 2), ("updated", 2)],
        [("greet", "greet")],
        [1, 2],
    ]
