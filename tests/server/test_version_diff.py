"""GET /workflows/{id}/versions/{a}/diff/{b}: what a save changed, from a real server."""

from __future__ import annotations

import copy

from tests.conftest import linear_doc

from .conftest import Call


async def test_diff_between_two_stored_versions(api: Call) -> None:
    doc = linear_doc("a", "b", name="Differ")
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    changed = copy.deepcopy(doc)
    changed["graph"]["ir"]["nodes"][1]["config"]["variables"]["me"] = "B!"
    changed["triggers"] = [{"type": "manual", "id": "go"}]
    assert (await api("PUT", "workflows", wid, json_body=changed)).code == 200

    reply = await api("GET", "workflows", wid, "versions", "1", "diff", "2")
    assert reply.code == 200
    body = reply.body
    assert (body["workflow_id"], body["from_version"], body["to_version"]) == (wid, 1, 2)
    assert body["summary"] == "1 node changed, 1 trigger added"
    assert body["nodes"]["changed"] == [
        {"id": "b", "changes": [{"field": "config.variables.me", "before": "b", "after": "B!"}]}
    ]
    assert [t["id"] for t in body["triggers"]["added"]] == ["go"]
    back = await api("GET", "workflows", "differ", "versions", "2", "diff", "1")
    assert back.body["summary"] == "1 node changed, 1 trigger removed"


async def test_diff_with_a_missing_or_bad_version(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=linear_doc("a"))).body["id"]
    missing = await api("GET", "workflows", wid, "versions", "1", "diff", "7")
    assert missing.code == 404
    bad = await api("GET", "workflows", wid, "versions", "1", "diff", "two")
    assert bad.code == 422
    assert "version must be a whole number" in bad.error["message"]
