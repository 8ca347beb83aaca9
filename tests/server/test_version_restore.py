"""POST /workflows/{id}/versions/{n}/restore: an old version becomes current as a new one."""

from __future__ import annotations

import copy

from tests.conftest import linear_doc

from .conftest import Call


async def test_restore_writes_a_new_version_equal_to_the_old_one(api: Call) -> None:
    doc = linear_doc("a", "b", name="Restorer")
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    v1 = (await api("GET", "workflows", wid, "versions", "1")).body["document"]
    second = copy.deepcopy(doc)
    second["graph"]["ir"]["nodes"][1]["config"]["variables"]["me"] = "B2"
    assert (await api("PUT", "workflows", wid, json_body=second)).code == 200
    third = copy.deepcopy(second)
    third["description"] = "third"
    assert (await api("PUT", "workflows", wid, json_body=third)).code == 200
    before = {n: (await api("GET", "workflows", wid, "versions", str(n))).body for n in (1, 2, 3)}

    reply = await api("POST", "workflows", wid, "versions", "1", "restore")
    assert reply.code == 200, reply.body
    assert (reply.body["version"], reply.body["restored_from"]) == (4, 1)
    assert reply.body["stored"] is True
    assert reply.body["document"] == v1
    current = (await api("GET", "workflows", wid)).body
    assert (current["version"], current["document"]) == (4, v1)
    assert current["description"] == doc.get("description", "")
    # History is kept as it was: nothing deleted, nothing rewritten.
    versions = (await api("GET", "workflows", wid, "versions")).body["items"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    for n, stored in before.items():
        assert (await api("GET", "workflows", wid, "versions", str(n))).body == stored
    diff = (await api("GET", "workflows", wid, "versions", "1", "diff", "4")).body
    assert diff["summary"] == "no changes"


async def test_restoring_the_current_document_adds_no_version(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=linear_doc("a"))).body["id"]
    reply = await api("POST", "workflows", wid, "versions", "1", "restore")
    assert reply.code == 200, reply.body
    assert (reply.body["version"], reply.body["stored"]) == (1, False)
    versions = (await api("GET", "workflows", wid, "versions")).body["items"]
    assert [v["version"] for v in versions] == [1]
    # Restored by someone else as version 3 since this caller saw version 2: 200 with
    # their version, which this request did not store.
    changed = {**linear_doc("a"), "id": wid, "description": "two"}
    assert (await api("PUT", "workflows", wid, json_body=changed)).body["version"] == 2
    theirs = await api("POST", "workflows", wid, "versions", "1", "restore")
    assert (theirs.body["version"], theirs.body["stored"]) == (3, True)
    mine = await api(
        "POST", "workflows", wid, "versions", "1", "restore", params={"base_version": 2}
    )
    assert mine.code == 200, mine.body
    assert (mine.body["version"], mine.body["stored"], mine.body["restored_from"]) == (3, False, 1)


async def test_restore_of_a_missing_or_bad_version_is_refused(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=linear_doc("a"))).body["id"]
    missing = await api("POST", "workflows", wid, "versions", "9", "restore")
    assert missing.code == 404
    assert "no version 9" in missing.error["message"]
    bad = await api("POST", "workflows", wid, "versions", "first", "restore")
    assert bad.code == 422
    assert bad.error["details"][0]["field"] == "path.version"
    nowhere = await api("POST", "workflows", "no-such-flow", "versions", "1", "restore")
    assert nowhere.code == 404
    versions = (await api("GET", "workflows", wid, "versions")).body["items"]
    assert [v["version"] for v in versions] == [1]
