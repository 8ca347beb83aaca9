"""Every HTTP way of starting a run goes through the one admission (runtime/admission.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_server.utils import url_path_join

from tests.conftest import code_doc

from .conftest import Call, Reply

Wait = Callable[..., Awaitable[dict[str, Any]]]

SCHEMA = {
    "type": "object",
    "properties": {
        "body": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        },
        "days": {"type": "integer", "default": 7},
    },
}


async def test_a_webhook_delivery_that_does_not_fit_inputs_schema_is_refused_before_202(
    api: Call, http_server_client: Any, jp_base_url: str, wait_run: Wait
) -> None:
    doc = code_doc("return state['inputs']['days']", name="greeter")
    doc["inputs_schema"] = SCHEMA
    doc["triggers"] = [{"type": "webhook", "id": "hook", "config": {}}]
    assert (await api("POST", "workflows", json_body=doc)).code == 201

    async def deliver(body: Any) -> Reply:
        response = await http_server_client.fetch(
            url_path_join(jp_base_url, "orcheo", "hooks", "greeter"),
            method="POST",
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
            raise_error=False,
        )
        return Reply(response.code, json.loads(response.body), response.headers)

    refused = await deliver({"name": 5})
    assert refused.code == 422, refused.body
    assert refused.error["code"] == "invalid_inputs"
    assert [(d["field"], d["message"]) for d in refused.error["details"]] == [
        ("inputs.body.name", "5 is not of type 'string'")
    ]
    listed = await api("GET", "executions", params={"workflow_id": "greeter"})
    assert listed.body["total"] == 0
    accepted = await deliver({"name": "Ada"})
    assert accepted.code == 202, accepted.body
    run = await wait_run(accepted.body["execution_id"])
    assert run["status"] == "succeeded" and run["inputs"]["days"] == 7  # the schema's default
    assert run["final_state"]["results"]["c"] == 7


async def test_execute_and_dispatch_fill_defaults_and_name_each_bad_input(
    api: Call, wait_run: Wait
) -> None:
    doc = code_doc("return state['inputs']")
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "days": {"type": "integer", "default": 7}},
        "required": ["name"],
        "additionalProperties": False,
    }
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    bad = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"name": 5, "x": 1}})
    assert bad.code == 422
    assert sorted(d["field"] for d in bad.error["details"]) == ["inputs", "inputs.name"]
    batch = await api(
        "POST", "workflows", wid, "dispatch", json_body={"runs": [{"inputs": {"name": "a"}}]}
    )
    assert batch.code == 202, batch.body
    run = await wait_run(batch.body["items"][0]["execution_id"])
    assert run["inputs"] == {"name": "a", "days": 7}


async def test_a_run_reports_its_own_recursion_limit(api: Call, wait_run: Wait) -> None:
    doc = code_doc("return 1", node_id="spin")
    doc["graph"]["ir"]["edges"] = [{"source": "spin", "target": "spin"}]
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    reply = await api(
        "POST", "workflows", wid, "execute", json_body={"config": {"recursion_limit": 2500}}
    )
    run = await wait_run(reply.body["execution_id"], timeout=120)
    assert run["status"] == "failed"
    assert run["error"] == "run stopped after 2500 steps (recursion limit); a loop may never end"
