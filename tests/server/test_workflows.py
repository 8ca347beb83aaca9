"""Workflow routes: create, list/filter/paginate, immutable versions, delete, bad input."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import linear_doc

from .conftest import Call


async def test_create_answers_201_with_id_and_stores_the_document(api: Call) -> None:
    doc = linear_doc("a", "b", name="Greeter")
    reply = await api("POST", "workflows", json_body=doc)
    assert reply.code == 201
    wid = reply.body["id"]
    assert reply.headers["Location"].endswith(f"/orcheo/api/workflows/{wid}")
    assert reply.body["name"] == "Greeter"
    assert reply.body["slug"] == "greeter"
    assert reply.body["latest_version"] == 1
    assert reply.body["document"]["id"] == wid
    assert [n["id"] for n in reply.body["document"]["graph"]["ir"]["nodes"]] == ["a", "b"]

    got = await api("GET", "workflows", wid)
    assert got.code == 200
    assert got.body["document"] == reply.body["document"]
    by_slug = await api("GET", "workflows", "greeter")
    assert by_slug.body["id"] == wid


async def test_create_with_an_existing_id_is_409(api: Call) -> None:
    doc = {**linear_doc("a"), "id": "wf-1"}
    assert (await api("POST", "workflows", json_body=doc)).code == 201
    again = await api("POST", "workflows", json_body=doc)
    assert again.code == 409
    assert again.error["code"] == "conflict"
    assert "wf-1" in again.error["message"]


async def test_list_filters_and_paginates(api: Call) -> None:
    for i in range(5):
        doc = linear_doc("a", name=f"flow {i}")
        doc["tags"] = ["even"] if i % 2 == 0 else ["odd"]
        assert (await api("POST", "workflows", json_body=doc)).code == 201

    page = await api("GET", "workflows", params={"limit": 2, "offset": 0})
    assert page.code == 200
    assert page.body["total"] == 5 and len(page.body["items"]) == 2
    rest = await api("GET", "workflows", params={"limit": 10, "offset": 2})
    names = {w["name"] for w in page.body["items"] + rest.body["items"]}
    assert names == {f"flow {i}" for i in range(5)}

    even = await api("GET", "workflows", params={"tag": "even"})
    assert sorted(w["name"] for w in even.body["items"]) == ["flow 0", "flow 2", "flow 4"]
    found = await api("GET", "workflows", params={"q": "flow 3"})
    assert [w["name"] for w in found.body["items"]] == ["flow 3"]

    bad = await api("GET", "workflows", params={"limit": 0})
    assert bad.code == 422
    assert bad.error["details"][0]["field"] == "query.limit"


async def test_list_by_id_or_slug_is_one_workflow_or_an_empty_page(api: Call) -> None:
    """An editor asks whether its document was stored: an empty page, never a 404."""
    created = await api(
        "POST", "workflows", json_body={**linear_doc("a", name="Mine"), "id": "w-1"}
    )
    assert created.code == 201
    other = await api("POST", "workflows", json_body={**linear_doc("a", name="w-1 copy")})
    assert other.code == 201
    for ref in ("w-1", "mine"):
        found = await api("GET", "workflows", params={"id": ref})
        assert found.code == 200
        assert [(w["id"], w["latest_version"]) for w in found.body["items"]] == [("w-1", 1)]
        assert found.body["total"] == 1
    missing = await api("GET", "workflows", params={"id": "w-"})
    assert missing.code == 200 and missing.body["items"] == [] and missing.body["total"] == 0
    too_long = await api("GET", "workflows", params={"id": "x" * 201})
    assert too_long.code == 422 and too_long.error["details"][0]["field"] == "query.id"


async def test_put_stores_a_new_immutable_version(api: Call) -> None:
    created = (await api("POST", "workflows", json_body=linear_doc("a"))).body
    wid = created["id"]
    v1_doc = created["document"]

    changed = copy.deepcopy(v1_doc)
    changed["graph"]["ir"]["nodes"][0]["config"]["variables"]["me"] = "changed"
    changed["name"] = "renamed"
    put = await api("PUT", "workflows", wid, json_body=changed)
    assert put.code == 200
    assert put.body["latest_version"] == 2 and put.body["version"] == 2
    assert put.body["stored"] is True
    assert put.body["name"] == "renamed"

    versions = await api("GET", "workflows", wid, "versions")
    assert [v["version"] for v in versions.body["items"]] == [1, 2]
    v1 = await api("GET", "workflows", wid, "versions", "1")
    assert v1.body["document"] == v1_doc  # the old version is unchanged
    v2 = await api("GET", "workflows", wid, "versions", "2")
    assert v2.body["document"]["graph"]["ir"]["nodes"][0]["config"]["variables"]["me"] == "changed"

    same = await api("PUT", "workflows", wid, json_body=changed)
    assert (same.body["version"], same.body["stored"]) == (2, False)  # unchanged: nothing stored

    assert (await api("GET", "workflows", wid, "versions", "3")).code == 404
    bad = await api("GET", "workflows", wid, "versions", "two")
    assert bad.code == 422 and "version" in bad.error["message"]


async def test_put_with_another_id_in_the_body_is_422(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=linear_doc("a"))).body["id"]
    doc = {**linear_doc("a"), "id": "someone-else"}
    reply = await api("PUT", "workflows", wid, json_body=doc)
    assert reply.code == 422
    assert reply.error["details"][0]["field"] == "id"


async def test_put_of_a_missing_workflow_is_404_unless_create_is_asked(api: Call) -> None:
    doc = {**linear_doc("a", name="Drawn"), "id": "drawn-1"}
    missing = await api("PUT", "workflows", "drawn-1", json_body=doc)
    assert missing.code == 404
    assert missing.error["message"] == "workflow 'drawn-1' not found"

    created = await api("PUT", "workflows", "drawn-1", json_body=doc, params={"create": "true"})
    assert created.code == 201
    assert created.headers["Location"].endswith("/orcheo/api/workflows/drawn-1")
    assert (created.body["id"], created.body["latest_version"]) == ("drawn-1", 1)
    assert created.body["stored"] is True
    assert created.body["name"] == "Drawn"

    doc["name"] = "Drawn again"
    replaced = await api("PUT", "workflows", "drawn-1", json_body=doc, params={"create": "true"})
    assert replaced.code == 200
    assert (replaced.body["latest_version"], replaced.body["name"]) == (2, "Drawn again")
    versions = await api("GET", "workflows", "drawn-1", "versions")
    assert [v["version"] for v in versions.body["items"]] == [1, 2]


async def test_put_create_refuses_bad_input_and_stores_nothing(api: Call) -> None:
    other = {**linear_doc("a"), "id": "someone-else"}
    wrong_id = await api("PUT", "workflows", "mine", json_body=other, params={"create": "true"})
    assert wrong_id.code == 422
    assert wrong_id.error["details"][0]["field"] == "id"
    bad_flag = await api(
        "PUT", "workflows", "mine", json_body=linear_doc("a"), params={"create": "maybe"}
    )
    assert bad_flag.code == 422
    assert bad_flag.error["details"][0]["field"] == "query.create"
    broken = linear_doc("a")
    broken["graph"]["ir"]["nodes"][0]["type"] = "NoSuchNode"
    refused = await api("PUT", "workflows", "mine", json_body=broken, params={"create": "1"})
    assert refused.code == 422
    assert (await api("GET", "workflows", "mine")).code == 404


async def test_delete_then_404(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=linear_doc("a"))).body["id"]
    deleted = await api("DELETE", "workflows", wid)
    assert deleted.code == 204 and deleted.body is None
    missing = await api("GET", "workflows", wid)
    assert missing.code == 404
    assert missing.error == {
        "code": "not_found",
        "message": f"workflow {wid!r} not found",
        "details": None,
    }
    assert (await api("DELETE", "workflows", wid)).code == 404


async def test_invalid_document_is_422_with_every_problem(api: Call) -> None:
    doc = linear_doc("a", "b")
    doc["graph"]["ir"]["nodes"][1]["type"] = "NoSuchNode"
    doc["graph"]["ir"]["edges"].append({"source": "a", "target": "ghost"})
    reply = await api("POST", "workflows", json_body=doc)
    assert reply.code == 422
    assert reply.error["code"] == "invalid_document"
    problems = {(p["code"], p["node"], p["field"]) for p in reply.error["details"]}
    assert ("unknown_type", "b", "type") in problems
    assert ("dangling_edge", None, "edges[3].target") in problems
    assert (await api("GET", "workflows")).body["total"] == 0  # nothing stored


async def test_schema_errors_name_the_field(api: Call) -> None:
    doc = linear_doc("a")
    doc["graph"]["ir"]["nodes"][0]["colour"] = "red"
    reply = await api("POST", "workflows", json_body=doc)
    assert reply.code == 422
    [problem] = reply.error["details"]
    assert problem["field"] == "graph.ir.nodes[0].colour"
    assert problem["message"] == "unknown key (not part of the document format)"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b'{"name": "x",', 400, "line 1 column 14"),
        (b'{"name": NaN}', 400, "name: nan is not a finite number"),
        (b'{"name": "\\ud800"}', 400, "unpaired UTF-16 surrogate"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b"[1, 2]", 422, "must be a JSON object, not an array"),
        (b"[" * 100_000, 400, "body: nested deeper than the limit of 68 levels"),
    ],
)
async def test_unreadable_bodies_are_4xx_with_the_reason(
    api: Call, body: bytes, status: int, fragment: str
) -> None:
    reply = await api("POST", "workflows", body=body, headers={"Content-Type": "application/json"})
    assert reply.code == status, reply.body
    assert fragment in reply.error["message"]


async def test_a_body_led_by_a_utf8_bom_is_read_as_webhooks_read_it(api: Call) -> None:
    """The API called a BOM "not valid JSON: Unexpected UTF-8 BOM" while webhooks took it;
    both read JSON with one reader now (RFC 8259 lets a parser ignore the BOM)."""
    bom = b"\xef\xbb\xbf"
    body = bom + json.dumps(linear_doc("a") | {"name": "with bom"}).encode()
    created = await api(
        "POST", "workflows", body=body, headers={"Content-Type": "application/json"}
    )
    assert created.code == 201, created.body
    assert created.body["name"] == "with bom"
    bad = bom + b'{"name": "\xff"}'
    refused = await api("POST", "workflows", body=bad, headers={"Content-Type": "application/json"})
    assert refused.code == 400, refused.body
    # The byte is counted from the start of the body, BOM included.
    assert refused.error["message"] == (
        "request body is not UTF-8 text (byte 13); send JSON as UTF-8"
    )


async def test_bad_json_names_the_position(api: Call) -> None:
    reply = await api(
        "POST",
        "workflows",
        body=b'{\n  "name": "x",\n  "graph": }',
        headers={"Content-Type": "application/json"},
    )
    assert reply.code == 400
    assert reply.error["details"] == {"line": 3, "column": 12, "position": 28}


async def test_non_json_content_type_is_415(api: Call) -> None:
    reply = await api(
        "POST",
        "workflows",
        body=json.dumps(linear_doc("a")),
        headers={"Content-Type": "text/plain"},
    )
    assert reply.code == 415
    assert "application/json" in reply.error["message"]


class TestBodyLimit:
    @pytest.fixture
    def orcheo_config(self) -> dict[str, Any]:
        return {"max_body_bytes": 4096}

    async def test_bodies_over_the_limit_are_413(self, api: Call) -> None:
        doc = linear_doc("a")
        doc["description"] = "x" * 5000
        reply = await api("POST", "workflows", json_body=doc)
        assert reply.code == 413
        assert reply.error["details"]["limit"] == 4096
        assert "4,096" in reply.error["message"]
        assert (await api("GET", "workflows")).body["total"] == 0


async def test_validate_reports_the_problems_the_server_would_refuse(api: Call) -> None:
    doc = linear_doc("a", "b")
    doc["graph"]["ir"]["nodes"][1] = {
        "kind": "builtin",
        "id": "b",
        "type": "TextProcessingNode",
        "config": {"operation": "explode", "max_length": "ten"},
    }
    doc["graph"]["ir"]["nodes"].append(
        {"kind": "builtin", "id": "lost", "type": "DebugNode", "config": {}}
    )
    reply = await api("POST", "workflows", "validate", json_body=doc)
    assert reply.code == 200
    found = [(p["severity"], p["node"], p["field"], p["code"]) for p in reply.body["problems"]]
    assert ("error", "b", "config.operation", "literal_error") in found
    assert ("error", "b", "config.max_length", "int_parsing") in found
    assert ("warning", "lost", None, "unreachable") in found
    assert [p["severity"] for p in reply.body["problems"]][-1] == "warning"  # errors first
    # The same document is refused when stored, naming the same fields.
    refused = await api("POST", "workflows", json_body=doc)
    assert refused.code == 422
    fields = {p["field"] for p in refused.error["details"]}
    assert {"config.operation", "config.max_length"} <= fields
    # Nothing is stored by validating, and "validate" cannot be taken as a workflow id.
    assert (await api("GET", "workflows")).body["total"] == 0
    taken = await api("POST", "workflows", json_body={**linear_doc("a"), "id": "validate"})
    assert taken.code == 422


async def test_validate_names_the_trigger_settings_the_server_would_refuse(api: Call) -> None:
    doc = linear_doc("a")
    doc["graph"]["ir"]["nodes"].insert(
        0,
        {
            "kind": "builtin",
            "id": "hook",
            "type": "WebhookTriggerNode",
            "config": {"shared_secret_header": "X-Token", "shared_secret": "hunter2"},
        },
    )
    doc["graph"]["ir"]["edges"][0] = {"source": "hook", "target": "a"}
    doc["graph"]["ir"]["edges"].insert(0, {"source": "__start__", "target": "hook"})
    doc["graph"]["ir"]["entrypoint"] = doc["graph"]["entrypoint"] = "hook"
    doc["triggers"] = [{"type": "cron", "config": {"expression": "{{inputs.when}}"}}]
    reply = await api("POST", "workflows", "validate", json_body=doc)
    found = [(p["node"], p["field"], p["message"]) for p in reply.body["problems"]]
    assert found == [
        (
            "hook",
            "config.shared_secret",
            "Value error, must be a [[credential]] reference: the document must not hold the "
            "secret itself",
        ),
        (
            None,
            "triggers[0].config.expression",
            "trigger settings are read before any run: {{templates}} cannot work",
        ),
    ]
    # Storing refuses the node's setting first, then the trigger list's.
    refused = await api("POST", "workflows", json_body=doc)
    assert refused.code == 422
    assert [p["field"] for p in refused.error["details"]] == ["config.shared_secret"]
    assert "hunter2" not in json.dumps(reply.body) + json.dumps(refused.body)
    doc["graph"]["ir"]["nodes"][0]["config"]["shared_secret"] = "[[hook_token]]"
    refused = await api("POST", "workflows", json_body=doc)
    assert [p["field"] for p in refused.error["details"]] == ["triggers[0].config.expression"]
    doc["triggers"] = []
    assert (await api("POST", "workflows", json_body=doc)).code == 201


async def test_validate_a_clean_document_and_a_malformed_one(api: Call) -> None:
    reply = await api("POST", "workflows", "validate", json_body=linear_doc("a"))
    assert reply.code == 200 and reply.body == {"problems": []}
    bad = await api("POST", "workflows", "validate", json_body={"name": "x"})
    assert bad.code == 422
    assert bad.error["code"] == "invalid_document"
    assert any(p["field"] == "graph" for p in bad.error["details"])
