"""Credentials: sealed at rest, scoped, rotated, audited on every read, with health."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.secrets import SecretRef, SecretUnavailable
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.base import Conflict, NotFound
from orcheo_jupyter.vault import CredentialInvalid, OAuthTokens, Vault
from orcheo_jupyter.vault.keys import KEY_ENV, KEY_FILE_ENV

SECRET = "s3cr3t-VALUE-0123456789"


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


@pytest_asyncio.fixture
async def vault(tmp_path: Path) -> AsyncIterator[Vault]:
    v = await Vault.open(Settings(data_dir=tmp_path), cache_seconds=0)
    try:
        yield v
    finally:
        await v.close()


def _files_contain(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.asyncio
async def test_values_are_sealed_on_disk_and_reads_are_audited(
    vault: Vault, tmp_path: Path
) -> None:
    info = await vault.create("api", value=SECRET, description="the API", actor="ada")
    assert info.name == "api" and info.kind == "secret" and info.scope is None
    assert info.health.healthy and info.version == 1 and info.rotated_at is None
    assert SECRET not in repr(info.as_dict())

    value = await vault.read("api", workflow_id="wf-1", run_id="run-1", node="fetch")
    assert value == SECRET
    entries, total = await vault.audit_log("api")
    assert total == 2
    read, created = entries
    assert (created.action, created.actor) == ("created", "ada")
    assert (read.action, read.workflow_id, read.run_id, read.node) == (
        "read",
        "wf-1",
        "run-1",
        "fetch",
    )
    assert _files_contain(tmp_path, SECRET.encode()) == []


@pytest.mark.asyncio
async def test_read_and_read_audited_take_one_declared_reader(vault: Vault) -> None:
    # Who reads (vault.Reader) is declared once for both: a misspelt or missing part is
    # refused by name before anything is read or audited.
    await vault.create("api", value=SECRET)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'run'"):
        await vault.read("api", workflow_id="wf-1", run="r1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"missing required keyword argument 'workflow_id'"):
        await vault.read_audited("api", run_id="r1")  # type: ignore[call-arg]
    assert (await vault.audit_log("api"))[1] == 1  # only the creation
    value, audited = await vault.read_audited("api", workflow_id="wf-2", actor="webhook")
    await audited
    assert value == SECRET
    read = (await vault.audit_log("api"))[0][0]
    assert (read.action, read.actor, read.workflow_id, read.run_id) == (
        "read",
        "webhook",
        "wf-2",
        None,
    )
    await vault.read("api", workflow_id="wf-2", run_id="r7", node="n")
    read = (await vault.audit_log("api"))[0][0]
    assert (read.actor, read.run_id, read.node) == ("run", "r7", "n")


@pytest.mark.asyncio
async def test_scope_limits_which_workflows_may_read(vault: Vault) -> None:
    await vault.create("deploy_key", value=SECRET, scope=["deployer", "ops"])
    assert await vault.read("deploy_key", workflow_id="ops") == SECRET
    with pytest.raises(SecretUnavailable) as denied:
        await vault.read("deploy_key", workflow_id="intruder", run_id="r9")
    assert str(denied.value) == (
        "credential 'deploy_key' is not available to workflow 'intruder' "
        "(its scope: 'deployer', 'ops')"
    )
    assert SECRET not in str(denied.value)
    with pytest.raises(SecretUnavailable, match="belongs to no stored workflow"):
        await vault.read("deploy_key", workflow_id=None)
    entries, _ = await vault.audit_log("deploy_key")
    assert [e.action for e in entries] == ["denied", "denied", "read", "created"]
    assert entries[1].workflow_id == "intruder" and entries[1].detail is not None

    await vault.update("deploy_key", scope=None, actor="ada")
    assert await vault.read("deploy_key", workflow_id="intruder") == SECRET
    assert (await vault.info("deploy_key")).scope is None


@pytest.mark.asyncio
async def test_rotation_replaces_the_value_at_once(vault: Vault, tmp_path: Path) -> None:
    await vault.create("api", value=SECRET)
    rotated = await vault.rotate("api", value="n3w-VALUE-9876543210", actor="ada")
    assert rotated.version == 2 and rotated.rotated_at is not None
    assert await vault.read("api", workflow_id=None) == "n3w-VALUE-9876543210"
    with pytest.raises(CredentialInvalid, match="oauth: only for credentials of kind 'oauth'"):
        await vault.rotate("api", oauth=OAuthTokens("x"))
    assert _files_contain(tmp_path, b"n3w-VALUE") == []
    actions = [e.action for e in (await vault.audit_log("api"))[0]]
    assert actions == ["read", "rotated", "created"]


@pytest.mark.asyncio
async def test_oauth_tokens_parts_and_expiry(vault: Vault) -> None:
    now = dt.datetime.now(dt.UTC)
    later = (now + dt.timedelta(hours=1)).isoformat()
    await vault.create(
        "gh",
        kind="oauth",
        oauth=OAuthTokens("acc-token-123", "ref-token-456", "bearer", later),
    )
    wid = {"workflow_id": "w"}
    assert await vault.read(SecretRef("gh"), **wid) == "acc-token-123"
    assert await vault.read(SecretRef("gh", "oauth.access_token"), **wid) == "acc-token-123"
    assert await vault.read(SecretRef("gh", "oauth.refresh_token"), **wid) == "ref-token-456"

    await vault.rotate("gh", oauth=OAuthTokens("acc-2", expires_at="2001-01-01T00:00:00+00:00"))
    info = await vault.info("gh")
    assert info.health.status == "expired" and info.expires_at == "2001-01-01T00:00:00Z"
    problems = await vault.unavailable(
        [SecretRef("gh"), SecretRef("gh", "oauth.refresh_token")], workflow_id="w"
    )
    assert problems[SecretRef("gh")] == (
        "is unhealthy: its access token expired at 2001-01-01T00:00:00Z"
    )

    await vault.create("plain", value=SECRET)
    wrong = SecretRef("plain", "oauth.access_token")
    assert await vault.unavailable([wrong], workflow_id=None) == {
        wrong: "is a secret credential: reference it as [[plain]] (without #oauth.access_token)"
    }
    with pytest.raises(CredentialInvalid, match=r"oauth\.expires_at: needs a time zone"):
        await vault.create("bad", kind="oauth", oauth=OAuthTokens("a", expires_at="2030-01-01"))


@pytest.mark.asyncio
async def test_another_key_makes_credentials_undecryptable_not_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await Vault.open(Settings(data_dir=tmp_path))
    await first.create("api", value=SECRET)
    await first.close()

    monkeypatch.setenv(KEY_ENV, os.urandom(32).hex())
    second = await Vault.open(Settings(data_dir=tmp_path))
    try:
        info = await second.info("api")
        assert info.health.status == "undecryptable"
        assert "sealed with another vault key" in (info.health.reason or "")
        with pytest.raises(SecretUnavailable, match="credential 'api' is unhealthy: cannot be"):
            await second.read("api", workflow_id=None)
    finally:
        await second.close()


@pytest.mark.asyncio
async def test_bad_requests_name_the_field(vault: Vault) -> None:
    with pytest.raises(CredentialInvalid, match="name: 1-128 letters"):
        await vault.create("has space", value="x")
    with pytest.raises(CredentialInvalid, match="value: expected a non-empty string"):
        await vault.create("empty", value="")
    with pytest.raises(CredentialInvalid, match="oauth: required"):
        await vault.create("tok", kind="oauth")
    with pytest.raises(CredentialInvalid, match="kind: expected one of secret, oauth"):
        await vault.create("k", kind="password", value="x")  # type: ignore[arg-type]
    await vault.create("dup", value="x")
    with pytest.raises(Conflict, match="already exists"):
        await vault.create("dup", value="y")
    await vault.delete("dup")
    with pytest.raises(NotFound):
        await vault.info("dup")
    assert [e.action for e in (await vault.audit_log("dup"))[0]] == ["deleted", "created"]
    assert [c.name for c in await vault.list_credentials()] == []
