"""POST /workflows/{id}/nodes/{node}/test against a real server: output, errors, nothing stored."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from tests.nodes.helpers import chain_doc, code, node

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


def _doc() -> dict[str, Any]:
    return chain_doc(
        node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
        code("shout", "return state['results']['greet']['text'].upper()"),
        name="Tester",
    )


async def _counts(api: Call, wid: str) -> tuple[int, int]:
    runs = (await api("GET", "executions", params={"workflow_id": wid})).body["total"]
    versions = len((await api("GET", "workflows", wid, "versions")).body["items"])
    return runs, versions


async def test_test_node_on_the_latest_run_and_on_a_given_state(api: Call, wait_run: Wait) -> None:
    wid = (await api("POST", "workflows", json_body=_doc())).body["id"]
    missing = await api("POST", "workflows", wid, "nodes", "shout", "test", json_body={})
    assert missing.code == 409
    assert "no run of this workflow reached node 'shout'" in missing.error["message"]

    run = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    run_id = run.body["execution_id"]
    assert (await wait_run(run_id))["status"] == "succeeded"
    before = await _counts(api, wid)

    latest = await api("POST", "workflows", wid, "nodes", "shout", "test", json_body={})
    assert latest.code == 200, latest.body
    assert latest.body["output"] == "HELLO ADA" and latest.body["error"] is None
    assert latest.body["state_source"]["run_id"] == run_id
    assert latest.body["state_source"]["kind"] in ("checkpoint", "events")

    given = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "greet",
        "test",
        json_body={"state": {"inputs": {"who": "Bo"}, "results": {}}},
    )
    assert given.body["output"] == {"text": "Hello Bo"}
    assert given.body["state_source"] == {"kind": "given"}
    assert await _counts(api, wid) == before  # no run, no version


async def test_an_unsaved_edit_is_tested_and_errors_come_back(api: Call) -> None:
    doc = _doc()
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    edited = copy.deepcopy(doc)
    edited["graph"]["ir"]["nodes"][1]["body"] = "x = 1\nreturn x / 0"
    reply = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "shout",
        "test",
        json_body={"document": edited, "state": {"results": {}}},
    )
    assert reply.code == 200
    assert reply.body["error"] == (
        "node 'shout' failed (line 2 of its code): ZeroDivisionError: division by zero"
    )
    unknown = await api("POST", "workflows", wid, "nodes", "ghost", "test", json_body={"state": {}})
    assert unknown.code == 404
    assert "no node 'ghost'" in unknown.error["message"]
    bad = await api("POST", "workflows", wid, "nodes", "shout", "test", json_body={"state": 3})
    assert bad.code == 422


async def test_preview_resolves_templates_as_the_runtime_would(api: Call, wait_run: Wait) -> None:
    wid = (await api("POST", "workflows", json_body=_doc())).body["id"]
    run = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    assert (await wait_run(run.body["execution_id"]))["status"] == "succeeded"
    value = {
        "typed": "{{greet}}",
        "text": "Hi {{inputs.who}}, {{results.greet.text}}!",
        "missing": "{{nowhere.at_all}}",
    }
    reply = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "shout",
        "preview",
        json_body={"value": value, "include_state": True},
    )
    assert reply.code == 200, reply.body
    assert reply.body["value"] == {
        "typed": {"text": "Hello Ada"},  # exact template: the typed value, via results
        "text": "Hi Ada, Hello Ada!",
        "missing": "{{nowhere.at_all}}",
    }
    assert reply.body["unresolved"] == ["{{nowhere.at_all}}"]
    assert reply.body["state"]["results"] == {"greet": {"text": "Hello Ada"}}
    given = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "shout",
        "preview",
        json_body={"value": "{{inputs.n}}", "state": {"inputs": {"n": 3}}},
    )
    assert given.body["value"] == 3
    assert "state" not in given.body


async def test_a_node_the_workflow_lacks_is_a_404_before_and_after_runs(
    api: Call, wait_run: Wait
) -> None:
    """Not "no run reached node 'nope' yet" (a 409 that sends the user to run the workflow,
    which could never help): the workflow has no such node."""
    wid = (await api("POST", "workflows", json_body=_doc())).body["id"]
    expected = "the workflow has no node 'nope' (nodes: greet, shout)"
    before = await api("POST", "workflows", wid, "nodes", "nope", "test", json_body={})
    assert before.code == 404, before.body
    assert before.error == {"code": "not_found", "message": expected, "details": None}
    run = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    assert (await wait_run(run.body["execution_id"]))["status"] == "succeeded"
    after = await api("POST", "workflows", wid, "nodes", "nope", "test", json_body={})
    assert after.code == 404 and after.error["message"] == expected
    # The template preview looks its input up by node too.
    body = {"value": "{{inputs.who}}"}
    preview = await api("POST", "workflows", wid, "nodes", "nope", "preview", json_body=body)
    assert preview.code == 404 and preview.error["message"] == expected


async def test_the_first_node_is_tested_and_previewed_before_any_run(api: Call) -> None:
    """A new workflow's first node runs on the state a run would start it on (the
    inputs_schema's defaults); a node after it still needs a run; nothing is stored."""
    doc = _doc()
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {"who": {"type": "string", "default": "World"}},
    }
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    before = await _counts(api, wid)

    first = await api("POST", "workflows", wid, "nodes", "greet", "test", json_body={})
    assert first.code == 200, first.body
    assert (first.body["output"], first.body["error"]) == ({"text": "Hello World"}, None)
    assert first.body["state_source"] == {"kind": "inputs"}
    body = {"value": "{{inputs.who}}!", "include_state": True}
    preview = await api("POST", "workflows", wid, "nodes", "greet", "preview", json_body=body)
    assert (preview.body["value"], preview.body["state_source"]) == ("World!", {"kind": "inputs"})
    assert preview.body["state"]["results"] == {} and "no_input" not in preview.body

    later = await api("POST", "workflows", wid, "nodes", "shout", "test", json_body={})
    assert later.code == 409
    assert "no run of this workflow reached node 'shout'" in later.error["message"]
    assert await _counts(api, wid) == before

    # Inputs a run must be given: the first node needs a run (or a state) too.
    doc["inputs_schema"]["required"] = ["size"]
    doc["inputs_schema"]["properties"]["size"] = {"type": "integer"}
    assert (await api("PUT", "workflows", wid, json_body=doc)).code == 200
    needs = await api("POST", "workflows", wid, "nodes", "greet", "test", json_body={})
    assert needs.code == 409
    assert "no run of this workflow reached node 'greet'" in needs.error["message"]


async def test_a_document_no_run_stored_yet_is_tested_as_sent(api: Call) -> None:
    """A new file in Lab: no Run stored its workflow yet. Its first node is tested and
    previewed on the document sent; a later node needs a run; nothing gets stored."""
    doc = {**_doc(), "id": "never-stored"}
    body = {"document": doc}
    first = await api("POST", "workflows", "never-stored", "nodes", "greet", "test", json_body=body)
    assert first.code == 200, first.body
    assert first.body["output"] == {"text": "Hello {{inputs.who}}"}  # as a run without inputs
    assert first.body["state_source"] == {"kind": "inputs"}
    given = {**body, "state": {"inputs": {"who": "Cy"}, "results": {}}}
    on_state = await api(
        "POST", "workflows", "never-stored", "nodes", "greet", "test", json_body=given
    )
    assert on_state.body["output"] == {"text": "Hello Cy"}
    preview = {**body, "value": "{{inputs.who}}"}
    shout = await api(
        "POST", "workflows", "never-stored", "nodes", "shout", "preview", json_body=preview
    )
    assert shout.code == 200 and "reached node 'shout'" in shout.body["no_input"]
    later = await api("POST", "workflows", "never-stored", "nodes", "shout", "test", json_body=body)
    assert later.code == 409 and "reached node 'shout'" in later.error["message"]
    # Without the document there is nothing to test: the workflow is not found.
    none = await api("POST", "workflows", "never-stored", "nodes", "greet", "test", json_body={})
    assert none.code == 404
    listed = await api("GET", "workflows")
    assert "never-stored" not in {w["id"] for w in listed.body["items"]}


async def test_preview_looks_the_node_up_in_the_document_as_edited(
    api: Call, wait_run: Wait
) -> None:
    """A node added (or renamed) since the save is no "no such node": its preview answers
    that no run reached it yet, and a node the edit removed is the one that is missing."""
    doc = _doc()
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    run = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    assert (await wait_run(run.body["execution_id"]))["status"] == "succeeded"
    edited = copy.deepcopy(doc)
    edited["graph"]["ir"]["nodes"][1]["id"] = "yell"
    edited["graph"]["ir"]["edges"] = [
        {"source": "__start__", "target": "greet"},
        {"source": "greet", "target": "yell"},
        {"source": "yell", "target": "__end__"},
    ]
    body = {"value": "{{inputs.who}}", "document": edited}
    renamed = await api("POST", "workflows", wid, "nodes", "yell", "preview", json_body=body)
    # No run reached it yet: a normal answer that says so (a 409 showed in the console).
    assert renamed.code == 200, renamed.body
    assert "no run of this workflow reached node 'yell'" in renamed.body["no_input"]
    assert renamed.body["value"] == "{{inputs.who}}" and renamed.body["unresolved"] == []
    gone = await api("POST", "workflows", wid, "nodes", "shout", "preview", json_body=body)
    assert gone.code == 404
    assert gone.error["message"] == "the workflow has no node 'shout' (nodes: greet, yell)"
    kept = await api("POST", "workflows", wid, "nodes", "greet", "preview", json_body=body)
    assert kept.code == 200 and kept.body["value"] == "Ada"

    # The canvas names the id the run knew (run_node): the renamed node's input is found
    # there, and its edited config is what runs on it.
    run_id = run.body["execution_id"]
    edited["graph"]["ir"]["nodes"][1]["body"] = "return state['results']['greet']['text'] + '!'"
    known = {"document": edited, "run_id": run_id, "run_node": "shout"}
    previewed = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "yell",
        "preview",
        json_body={**known, "value": "{{ results.greet.text }}"},
    )
    assert previewed.code == 200 and previewed.body["value"] == "Hello Ada", previewed.body
    assert previewed.body["state_source"]["run_id"] == run_id
    tested = await api("POST", "workflows", wid, "nodes", "yell", "test", json_body=known)
    assert tested.code == 200 and tested.body["output"] == "Hello Ada!", tested.body
    assert tested.body["node"] == "yell"
    latest = {"document": edited, "run_node": "shout"}  # no run named: the latest that reached it
    tested = await api("POST", "workflows", wid, "nodes", "yell", "test", json_body=latest)
    assert tested.body["output"] == "Hello Ada!" and tested.body["state_source"]["run_id"] == run_id
    # Under a name the run never had, it says which.
    elsewhere = {**known, "run_node": "ghost"}
    refused = await api("POST", "workflows", wid, "nodes", "yell", "test", json_body=elsewhere)
    assert refused.code == 409
    assert refused.error["message"] == f"run {run_id} never reached node 'ghost'"


async def test_preview_renders_a_template_nodes_jinja_as_the_node_does(
    api: Call, wait_run: Wait
) -> None:
    """The field named in the request is the Template node's Jinja template: rendered as
    the node renders it (the same answer as testing the node), not looked up as a path."""
    doc = chain_doc(
        node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
        node("shout", "TemplateNode", template="{{ greet.text | upper }}"),
        name="Jinja",
    )
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    run = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    assert (await wait_run(run.body["execution_id"]))["status"] == "succeeded"
    tested = await api("POST", "workflows", wid, "nodes", "shout", "test", json_body={})
    value = ["{{ greet.text | upper }}", "{% if %}"]
    body = {"value": value, "field": ["template", "template"]}
    reply = await api("POST", "workflows", wid, "nodes", "shout", "preview", json_body=body)
    assert reply.code == 200, reply.body
    assert reply.body["value"] == [tested.body["output"]["text"], None] == ["HELLO ADA", None]
    assert reply.body["unresolved"] == []
    assert reply.body["notes"][0] is None
    assert reply.body["notes"][1].startswith("the node would fail: template syntax error")
    # Without the field, the value is a plain config value: the {{path}} rule.
    plain = await api(
        "POST", "workflows", wid, "nodes", "shout", "preview", json_body={"value": value[0]}
    )
    assert plain.body["unresolved"] == [value[0]]
