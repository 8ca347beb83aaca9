"""Scripts and documents written for upstream Orcheo, through the REST API (issue 21).

The scripts (``tests/compat/scripts.py``) are our own, in upstream's style: plain
LangGraph, credential placeholders, node classes with typed templates, IfElseNode
and SwitchNode as routers, TaskNode subclasses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

from tests.compat.scripts import (
    CREDENTIALS,
    MAIN_BLOCK,
    PLAIN_DICT,
    ROUTED,
    TASKS,
    WELCOME_LEGACY,
)

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


async def _import(api: Call, script: str, name: str = "s") -> dict[str, Any]:
    reply = await api(
        "POST",
        "workflows",
        "import-python",
        json_body={"script": script, "name": name, "entrypoint": "build_graph"},
    )
    assert reply.code == 201, reply.body
    return reply.body  # type: ignore[no-any-return]


async def _run(api: Call, wait_run: Wait, wid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    reply = await api("POST", "workflows", wid, "execute", json_body={"inputs": inputs})
    assert reply.code == 202, reply.body
    run = await wait_run(reply.body["execution_id"])
    assert run["status"] == "succeeded", run["error"]
    return run


async def test_a_plain_langgraph_script_runs_as_upstream_documents(
    api: Call, wait_run: Wait
) -> None:
    created = await _import(api, PLAIN_DICT)
    assert created["document"]["graph"]["format"] == "langgraph-script"
    run = await _run(api, wait_run, created["id"], {"name": "John"})
    # A dict state is one channel: the last node's answer is the whole state.
    assert run["final_state"] == {"shout": "HELLO JOHN!"}


async def test_credential_placeholders_resolve_from_the_vault_and_stay_redacted(
    api: Call, wait_run: Wait
) -> None:
    secrets = {"bot_token": "123456:tg-S3CRET-token", "model_key": "sk-model-K3Y-0987"}
    for name, value in secrets.items():
        reply = await api("POST", "credentials", json_body={"name": name, "value": value})
        assert reply.code == 201, reply.body
    created = await _import(api, CREDENTIALS)
    graph = created["document"]["graph"]
    assert graph["format"] == "frozen-ir"
    [node] = graph["ir"]["nodes"]
    assert (node["id"], node["type"]) == ("keep_secrets", "SetVariableNode")
    assert node["config"]["variables"]["bot_token"] == "[[bot_token]]"

    run = await _run(api, wait_run, created["id"], {})
    assert run["final_state"]["results"]["keep_secrets"] == {
        "bot_token": "[redacted:bot_token]",
        "model_key": "[redacted:model_key]",
        "bot_name": "Helper",
        "enabled": True,
    }
    events = await api("GET", "executions", run["id"], "events")
    seen = json.dumps(run) + json.dumps(events.body)
    for value in secrets.values():
        assert value not in seen


async def test_node_classes_and_routers_import_as_frozen_ir_with_their_types(
    api: Call, wait_run: Wait
) -> None:
    created = await _import(api, ROUTED)
    ir = created["document"]["graph"]["ir"]
    assert created["document"]["graph"]["format"] == "frozen-ir"
    assert {n["id"]: n["type"] for n in ir["nodes"]} == {
        "order": "SetVariableNode",
        "large": "SetVariableNode",
        "small": "SetVariableNode",
        "gold": "SetVariableNode",
        "standard": "SetVariableNode",
        "is_large": "IfElseNode",
        "by_tier": "SwitchNode",
    }
    routers = {c["source"]: (c["path"], c["mapping"]) for c in ir["conditional_edges"]}
    assert routers == {
        "is_large": ("results.is_large.branch", {"true": "large", "false": "small"}),
        "by_tier": ("results.by_tier.branch", {"gold": "gold", "default": "standard"}),
    }
    [condition] = next(n for n in ir["nodes"] if n["id"] == "is_large")["config"]["conditions"]
    assert condition == {"left": "{{order.amount}}", "operator": "greater_than", "right": 100}

    # The same script stored as a script (no freezing) routes the same way at run time.
    as_script = await api(
        "POST",
        "workflows",
        json_body={
            "name": "routed-script",
            "graph": {"format": "langgraph-script", "source": ROUTED, "entrypoint": "build_graph"},
        },
    )
    assert as_script.code == 201, as_script.body
    for wid in (created["id"], as_script.body["id"]):
        big = (await _run(api, wait_run, wid, {"amount": 250, "tier": "GOLD"}))["final_state"]
        results = big["results"]
        assert results["order"] == {"amount": 250, "tier": "GOLD"}  # typed, not "250"
        assert results["large"] == {"label": "large 250"}
        assert results["gold"] == {"discount": 0.2}
        assert "small" not in results and "standard" not in results
        small = (await _run(api, wait_run, wid, {"amount": 5, "tier": "gold"}))["final_state"]
        assert small["results"]["small"] == {"label": "small"}
        assert "large" not in small["results"]


async def test_task_node_subclasses_keep_the_script_and_run(api: Call, wait_run: Wait) -> None:
    created = await _import(api, TASKS)
    graph = created["document"]["graph"]
    assert graph["format"] == "langgraph-script"
    assert graph["index"]["nodes"] == ["shout", "count", "many"]
    [cond] = graph["index"]["conditional_edges"]
    assert (cond["source"], cond["mapping"]) == ("count", {"true": "many", "false": "__end__"})

    run = await _run(api, wait_run, created["id"], {"name": "ada", "items": [3, 2, 1]})
    results = run["final_state"]["results"]
    assert results["shout"] == {"shout": "HELLO ADA"}
    assert results["count"] == {"count": 3, "first": 3}
    assert results["many"] == {"shout": "MANY"}
    run = await _run(api, wait_run, created["id"], {"name": "bo", "items": [7]})
    assert run["final_state"]["results"]["count"] == {"count": 1, "first": 7}
    assert "many" not in run["final_state"]["results"]


async def test_a_runnable_example_with_a_docstring_future_import_and_prints(
    api: Call, wait_run: Wait
) -> None:
    # RestrictedPython put its print collector above ``from __future__``: 422.
    created = await _import(api, MAIN_BLOCK)
    assert created["document"]["graph"]["format"] == "frozen-ir"
    run = await _run(api, wait_run, created["id"], {"n": 21})
    assert run["final_state"]["results"] == {"double": {"n": 21}}


async def test_unknown_orcheo_names_fail_clearly(api: Call) -> None:
    reply = await api(
        "POST",
        "workflows",
        "import-python",
        json_body={
            "script": "from orcheo.nodes.logic import NoSuchNode\n",
            "name": "bad",
        },
    )
    assert reply.code == 422
    assert reply.error["message"] == (
        "error: graph.source: script raised ImportError: orcheo-jupyter has no node type "
        "'NoSuchNode' (imported from orcheo.nodes.logic); `orcheo-jupyter nodes` lists the "
        "node types it has, and a package can add one through the 'orcheo_jupyter.nodes' "
        "entry point group"
    )
    reply = await api(
        "POST",
        "workflows",
        "import-python",
        json_body={
            "script": (
                "from orcheo.nodes.logic import SetVariableNode\n"
                "SetVariableNode(name='x', variables='not a mapping')\n"
            ),
            "name": "bad",
        },
    )
    assert reply.code == 422
    assert "SetVariableNode(name='x')" in reply.error["message"]
    assert "variables" in reply.error["message"]


async def test_legacy_json_is_accepted_by_create_update_and_execute(
    api: Call, wait_run: Wait
) -> None:
    created = await api("POST", "workflows", json_body=WELCOME_LEGACY)
    assert created.code == 201, created.body
    assert created.body["notices"] == [
        "converted from Orcheo's legacy JSON (nodes/edges) to a frozen-ir document",
        "inputs: name became inputs_schema defaults",
    ]
    doc = created.body["document"]
    assert (doc["name"], doc["description"]) == (
        WELCOME_LEGACY["name"],
        WELCOME_LEGACY["description"],
    )
    assert doc["graph"]["format"] == "frozen-ir"
    assert [(n["id"], n["type"]) for n in doc["graph"]["ir"]["nodes"]] == [
        ("welcome", "DataTransformNode")
    ]
    assert doc["inputs_schema"]["properties"]["name"] == {"default": "Ada", "type": "string"}
    # Upstream's documented result, with the example input as the default.
    run = await _run(api, wait_run, created.body["id"], {})
    assert run["final_state"]["results"]["welcome"] == {"result": {"message": "Ada"}}
    run = await _run(api, wait_run, created.body["id"], {"name": "Grace"})
    assert run["final_state"]["results"]["welcome"] == {"result": {"message": "Grace"}}

    changed = {**WELCOME_LEGACY, "inputs": {"name": "Linus"}}
    updated = await api("PUT", "workflows", created.body["id"], json_body=changed)
    assert updated.code == 200, updated.body
    assert updated.body["version"] == 2 and updated.body["notices"]
    run = await _run(api, wait_run, created.body["id"], {})
    assert run["final_state"]["results"]["welcome"] == {"result": {"message": "Linus"}}
    plain = await api("GET", "workflows", created.body["id"])
    assert "notices" not in plain.body


async def test_legacy_display_keys_move_to_the_canvas_and_semantic_keys_still_fail(
    api: Call,
) -> None:
    """Issue 19 item 9: the old canvas wrote labels, canvas ids and positions on nodes."""
    legacy = copy.deepcopy(WELCOME_LEGACY)
    legacy["nodes"][1].update(
        {"label": "Say welcome", "id": "rf-node-3", "position": {"x": 120, "y": 48.5}}
    )
    legacy["nodes"].append(
        {"name": "by_hand", "type": "ManualTriggerNode", "label": "Run it", "x": 0, "y": 0}
    )
    created = await api("POST", "workflows", json_body=legacy)
    assert created.code == 201, created.body
    doc = created.body["document"]
    assert doc["canvas"]["positions"] == {
        "welcome": {"x": 120.0, "y": 48.5},
        "by_hand": {"x": 0.0, "y": 0.0},
    }
    configs = {n["id"]: n["config"] for n in doc["graph"]["ir"]["nodes"]}
    assert "label" not in configs["welcome"] and "id" not in configs["welcome"]
    assert configs["by_hand"] == {"label": "Run it"}  # a real ManualTriggerNode field
    notices = created.body["notices"]
    assert "node positions moved to canvas.positions (2 nodes)" in notices
    assert "display-only key 'id' dropped from nodes welcome" in notices
    assert "display-only key 'label' dropped from nodes welcome" in notices

    legacy["nodes"][1]["transfroms"] = []  # a typo of a real field: not display-only
    refused = await api("POST", "workflows", json_body=legacy)
    assert refused.code == 422
    [problem] = refused.body["error"]["details"]
    assert (problem["node"], problem["field"]) == ("welcome", "config.transfroms")


async def test_validate_answers_the_converted_document_for_editors(api: Call) -> None:
    """The Lab editor opens a legacy file through this: it shows and saves what comes back."""
    reply = await api("POST", "workflows", "validate", json_body=WELCOME_LEGACY)
    assert reply.code == 200, reply.body
    assert reply.body["problems"] == []
    assert reply.body["document"]["graph"]["format"] == "frozen-ir"
    assert reply.body["notices"][0].startswith("converted from Orcheo's legacy JSON")
    plain = await api("POST", "workflows", "validate", json_body=reply.body["document"])
    assert "document" not in plain.body and "notices" not in plain.body
