"""The vault's credential store behaves the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio

from orcheo_jupyter.store import Conflict, NotFound
from orcheo_jupyter.vault import CredentialStore, Sealer, SqliteCredentialStore, Vault
from orcheo_jupyter.vault.store_postgres import PostgresCredentialStore


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def vault(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Vault]:
    store: CredentialStore
    if request.param == "postgres":
        store = PostgresCredentialStore(request.getfixturevalue("postgres_dsn"))
    else:
        store = SqliteCredentialStore(tmp_path / "vault.sqlite")
    await store.open()
    v = Vault(store, Sealer(os.urandom(32)), cache_seconds=0)
    yield v
    await v.close()


@pytest.mark.asyncio
async def test_lifecycle_scopes_and_audit(vault: Vault) -> None:
    await vault.create("api-key", value="s3cr3t", scope=["wf1"], description="d", actor="ada")
    await vault.create("zz-token", value="other")
    with pytest.raises(Conflict, match="already exists"):
        await vault.create("api-key", value="again")
    assert await vault.read("api-key", workflow_id="wf1", run_id="r1", node="n") == "s3cr3t"
    with pytest.raises(Exception, match="api-key"):
        await vault.read("api-key", workflow_id="other-wf")
    info = await vault.rotate("api-key", value="n3w")
    assert info.version == 2 and info.rotated_at
    assert await vault.read("api-key", workflow_id="wf1") == "n3w"
    await vault.update("api-key", scope=None, description="for all")
    assert await vault.read("api-key", workflow_id="any") == "n3w"
    assert [c.name for c in await vault.list_credentials()] == ["api-key", "zz-token"]
    await vault.delete("zz-token")
    with pytest.raises(NotFound):
        await vault.info("zz-token")
    entries, total = await vault.audit_log("api-key")
    assert total == 7
    assert [e.action for e in entries] == [
        "read",
        "updated",
        "read",
        "rotated",
        "denied",
        "read",
        "created",
    ]
    assert (entries[-1].actor, entries[-2].run_id, entries[-2].node) == ("ada", "r1", "n")
    page, _ = await vault.audit_log(limit=2, offset=1)
    assert [e.action for e in page] == ["read", "updated"]


@pytest.mark.asyncio
async def test_racing_rotations_conflict(vault: Vault) -> None:
    await vault.create("k", value="v0")
    results = await asyncio.gather(
        *(vault.rotate("k", value=f"v{i}") for i in range(1, 4)), return_exceptions=True
    )
    assert sum(isinstance(r, Conflict) for r in results) >= 1
    assert (await vault.info("k")).version == 1 + sum(not isinstance(r, Exception) for r in results)


@pytest.mark.asyncio
async def test_postgres_stores_only_sealed_bytes(postgres_dsn: str) -> None:
    store = PostgresCredentialStore(postgres_dsn)
    await store.open()
    vault = Vault(store, Sealer(os.urandom(32)))
    try:
        await vault.create("db", value="plain-text-password")
    finally:
        await vault.close()
    with psycopg.connect(postgres_dsn) as conn:
        dump = str(conn.execute("SELECT * FROM credentials").fetchall())
        dump += str(conn.execute("SELECT * FROM credential_audit").fetchall())
    assert "plain-text-password" not in dump and "db" in dump


@pytest.mark.asyncio
async def test_vault_open_follows_the_repository_backend(tmp_path: Path, postgres_dsn: str) -> None:
    from orcheo_jupyter.settings import Settings

    settings = Settings(data_dir=tmp_path, repository_backend="postgres", postgres_dsn=postgres_dsn)
    vault = await Vault.open(settings, key=os.urandom(32).hex())
    try:
        assert isinstance(vault.store, PostgresCredentialStore)
        await vault.create("shared", value="v")
    finally:
        await vault.close()
    assert not (tmp_path / "vault.sqlite").exists()
