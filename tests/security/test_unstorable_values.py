"""Values no run can keep are refused on every surface before anything is stored.

Attack corpus: ``payloads/values.json`` (1e400, NaN, integers past 64 bits, nesting
from 65 to 20,000 deep). Before: 1e400 was stored as the string "inf", webhooks took
NaN that REST refused, a 2**64 input got 202 then failed at checkpoint time, bodies
500-950 deep got 202 for a run that never existed (a dead letter that then broke
``GET /dead-letters``), deeper ones answered 500.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.utils import url_path_join

from orcheo_jupyter import Workflow
from orcheo_jupyter.spec.values import UnstorableValue
from tests.conftest import code_doc

from ..server.conftest import Call, Reply
from .payloads import KEPT, REFUSED, refused_as

Wait = Callable[..., Awaitable[dict[str, Any]]]
ECHO = "return state['inputs']"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    return bool(a == b)


async def _post_json(api: Call, text: str, *path: str) -> Reply:
    return await api("POST", *path, body=text, headers={"Content-Type": "application/json"})


async def test_execute_refuses_each_unstorable_value_and_keeps_the_rest(
    api: Call, wait_run: Wait
) -> None:
    wid = (await api("POST", "workflows", json_body=code_doc(ECHO))).body["id"]
    for case in REFUSED:
        reply = await _post_json(
            api, '{"inputs": ' + case.inputs_json() + "}", "workflows", wid, "execute"
        )
        assert reply.code == 400, (case.name, reply.body)
        assert reply.error["code"] == "invalid_value"
        refused_as(case, reply.error["details"], "inputs.")
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.body["total"] == 0  # nothing stored, nothing started
    for case in KEPT:
        reply = await _post_json(
            api, '{"inputs": ' + case.inputs_json() + "}", "workflows", wid, "execute"
        )
        assert reply.code == 202, (case.name, reply.body)
        run = await wait_run(reply.body["execution_id"])
        assert run["status"] == "succeeded", (case.name, run["error"])
        assert _same(run["inputs"]["x"], case.value()), case.name
        assert _same(run["final_state"]["results"]["c"]["x"], case.value()), case.name


async def test_dispatch_refuses_the_batch_naming_the_run(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=code_doc(ECHO))).body["id"]
    for case in REFUSED:
        body = '{"runs": [{"inputs": {}}, {"inputs": ' + case.inputs_json() + "}]}"
        reply = await _post_json(api, body, "workflows", wid, "dispatch")
        assert reply.code == 400, (case.name, reply.body)
        refused_as(case, reply.error["details"], "runs[1].inputs.")
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.body["total"] == 0


async def test_a_webhook_refuses_them_before_any_202(
    api: Call, jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    doc = code_doc(ECHO, name="open-hook")
    doc["triggers"] = [{"type": "webhook", "id": "hook", "config": {}}]
    assert (await api("POST", "workflows", json_body=doc)).code == 201

    async def deliver(body: str) -> Reply:
        response = await http_server_client.fetch(
            url_path_join(jp_base_url, "orcheo", "hooks", "open-hook"),
            method="POST",
            body=body,
            headers={"Content-Type": "application/json"},
            raise_error=False,
        )
        return Reply(response.code, json.loads(response.body), response.headers)

    for case in REFUSED:
        reply = await deliver(case.inputs_json())
        assert reply.code == 400, (case.name, reply.body)
        assert reply.error["code"] == "invalid_value"
        # Worded as the API's refusals are: the field first, no "error: " prefix.
        assert reply.error["message"].startswith("inputs.body"), reply.error["message"]
        refused_as(case, reply.error["details"], "inputs.body.", "inputs.body")
    assert (await api("GET", "executions", params={"workflow_id": "open-hook"})).body["total"] == 0
    dead = await api("GET", "dead-letters")
    assert dead.code == 200 and dead.body["total"] == 0
    kept = await deliver(KEPT[0].inputs_json())
    assert kept.code == 202, kept.body


def test_the_python_api_refuses_them_naming_the_input() -> None:
    wf = Workflow.from_document(code_doc(ECHO))
    for case in REFUSED:
        with pytest.raises(UnstorableValue) as refused:
            wf.run({"x": case.value()})
        refused_as(case, [p.as_dict() for p in refused.value.problems], "inputs.")
    for case in KEPT:
        result = wf.run({"x": case.value()})
        assert result.status == "succeeded", (case.name, result.error)
        assert _same(result.results["c"]["x"], case.value()), case.name


@pytest.mark.parametrize("name", ["overflow_to_infinity", "nan_literal", "lists_20000_deep"])
def test_the_cli_refuses_them_naming_the_input(name: str, tmp_path: Path) -> None:
    [case] = [c for c in REFUSED if c.name == name]
    path = tmp_path / "echo.orcheo.json"
    path.write_text(json.dumps(code_doc(ECHO)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "run", str(path), "--inputs", case.inputs_json()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")},
    )
    if case.code == "too_deep":  # too deep for the parser: a usage error
        assert done.returncode == 2, done.stderr
        assert "--inputs is nested too deeply to parse" in done.stderr
    else:
        assert done.returncode == 1, done.stderr
        assert f"error: inputs.{case.at}: " in done.stderr
        assert "is not a finite number" in done.stderr
