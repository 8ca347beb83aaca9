"""[[credentials]] in node config: resolved when a node runs, never stored, scrubbed everywhere."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.secrets import CredentialError
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.vault import Vault
from tests.conftest import code_doc, vaulted_executor
from tests.nodes.http_server import FaultServer

TOKEN = "tok-9f8e7d6c5b4a-SECRET"


@pytest_asyncio.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Executor, Vault, Path]]:
    data = tmp_path / "data"
    async with vaulted_executor(data) as (executor, vault):
        yield executor, vault, data


def http_doc(url: str, headers: dict[str, str], **config: Any) -> dict[str, Any]:
    return {
        "id": "caller",
        "name": "caller",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "call",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "call",
                        "type": "HttpRequestNode",
                        "config": {"url": url, "headers": headers, "retries": 0, **config},
                    }
                ],
                "edges": [{"source": "call", "target": "__end__"}],
            },
        },
    }


async def _everything(executor: Executor, run_id: str) -> str:
    record = await executor.store.get_run(run_id)
    events = await executor.store.list_events(run_id)
    checkpoints = await executor.checkpoints(run_id)
    return json.dumps([record.as_dict(), [e.as_dict() for e in events], checkpoints])


@pytest.mark.asyncio
async def test_a_header_secret_reaches_the_server_but_not_the_run(
    env: tuple[Executor, Vault, Path],
) -> None:
    executor, vault, _ = env
    await vault.create("api_token", value=TOKEN, scope=["caller"])
    with FaultServer() as server:
        doc = http_doc(f"{server.base}/echo", {"Authorization": "[[api_token]]"})
        record = await executor.execute(doc, workflow_id="caller")
    assert record.status == "succeeded", record.error
    output = record.final_state["results"]["call"]  # type: ignore[index]
    # The echo server saw the real token; the run only ever holds its redaction.
    assert output["json"]["auth"] == "[redacted:api_token]"
    assert TOKEN not in await _everything(executor, record.id)
    assert doc["graph"]["ir"]["nodes"][0]["config"]["headers"] == {"Authorization": "[[api_token]]"}
    entries, _ = await vault.audit_log("api_token")
    assert [(e.action, e.run_id, e.node) for e in entries[:1]] == [("read", record.id, "call")]


@pytest.mark.asyncio
async def test_a_code_node_gets_the_value_and_its_output_is_scrubbed(
    env: tuple[Executor, Vault, Path],
) -> None:
    executor, vault, _ = env
    await vault.create("pw", value=TOKEN)
    doc = code_doc(
        "return {'length': len(self.password), 'leak': 'x' + self.password + 'y'}",
        config={"password": "[[pw]]"},
        injected=["password"],
    )
    record = await executor.execute(doc)
    assert record.status == "succeeded", record.error
    assert record.final_state["results"]["c"] == {  # type: ignore[index]
        "length": len(TOKEN),
        "leak": "x[redacted:pw]y",
    }
    assert TOKEN not in await _everything(executor, record.id)


@pytest.mark.asyncio
async def test_a_failing_call_with_the_secret_in_its_url_fails_without_it(
    env: tuple[Executor, Vault, Path],
) -> None:
    executor, vault, _ = env
    secret_url = "http://127.0.0.1:9/hooks/T0K3N-in-the-path-777"
    await vault.create("hook_url", value=secret_url)
    record = await executor.execute(http_doc("[[hook_url]]", {}, timeout=2), workflow_id="x")
    assert record.status == "failed"
    assert record.error is not None and record.error.startswith("node 'call' failed: ")
    assert "[redacted:hook_url]" in record.error
    assert "T0K3N" not in await _everything(executor, record.id)


@pytest.mark.asyncio
async def test_runs_refuse_to_start_without_their_credentials(
    env: tuple[Executor, Vault, Path],
) -> None:
    executor, vault, _ = env
    doc = http_doc("http://127.0.0.1:9/", {"Authorization": "[[missing_token]]"})
    with pytest.raises(CredentialError) as refused:
        await executor.submit(doc, workflow_id="caller")
    assert str(refused.value) == (
        "error: node 'call' config.headers.Authorization: credential 'missing_token' does not exist"
    )
    await vault.create("missing_token", value=TOKEN, scope=["someone-else"])
    with pytest.raises(CredentialError, match="is not available to workflow 'caller'"):
        await executor.submit(doc, workflow_id="caller")
    _, total = await executor.store.list_runs()
    assert total == 0  # nothing was stored or started

    executor.services = executor.services.replace(secrets=None)
    with pytest.raises(CredentialError, match="this executor has no vault"):
        await executor.submit(doc, workflow_id="caller")


@pytest.mark.asyncio
async def test_inputs_cannot_name_a_credential(env: tuple[Executor, Vault, Path]) -> None:
    executor, vault, _ = env
    await vault.create("api_token", value=TOKEN)
    doc = code_doc("return self.what", config={"what": "{{inputs.ask}}"}, injected=["what"])
    record = await executor.execute(doc, {"ask": "[[api_token]]"})
    assert record.final_state["results"]["c"] == "[[api_token]]"  # type: ignore[index]
    assert (await vault.audit_log("api_token"))[1] == 1  # only "created": never read


def test_the_command_line_resolves_credentials_from_the_data_dir(tmp_path: Path) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    doc = code_doc("return 'len=' + str(len(self.key))", config={"key": "[[cli_key]]"})
    doc["graph"]["ir"]["nodes"][0]["injected"] = ["key"]
    path = tmp_path / "keyed.orcheo.json"
    path.write_text(json.dumps(doc))
    env = {**os.environ, "ORCHEO_DATA_DIR": str(data)}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orcheo_jupyter", "run", str(path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    refused = run()
    assert refused.returncode == 1
    assert "credential 'cli_key' does not exist" in refused.stderr

    async def create() -> None:
        vault = await Vault.open(Settings(data_dir=data))  # as the server would
        await vault.create("cli_key", value=TOKEN)
        await vault.close()

    asyncio.run(create())
    done = run()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["c"] == f"len={len(TOKEN)}"
    assert TOKEN not in done.stdout + done.stderr
