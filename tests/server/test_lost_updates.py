"""Two editors saving one workflow: with ``base_version`` the later save is refused.

``PUT /workflows/{id}`` stores a new version whatever the latest is, so of two people
who loaded version 1 and saved, the second silently replaced the first's work. An
editor that says which version its edit was made from (``?base_version=1``) now gets
409 ``version_conflict`` and nothing is stored; the check is in the write's transaction,
so of many concurrent saves from one version exactly one is stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import linear_doc

from .conftest import Call


def _doc(*names: str) -> dict[str, Any]:
    return linear_doc(*names, name="shared")


async def test_a_save_from_an_older_version_is_refused_and_stores_nothing(api: Call) -> None:
    created = await api("POST", "workflows", json_body=_doc("a"))
    assert created.code == 201, created.body
    wid = created.body["id"]

    first = await api("PUT", "workflows", wid, json_body=_doc("a", "b"), params={"base_version": 1})
    assert first.code == 200 and first.body["version"] == 2, first.body

    late = await api("PUT", "workflows", wid, json_body=_doc("a", "c"), params={"base_version": 1})
    assert late.code == 409, late.body
    assert late.error["code"] == "version_conflict"
    assert late.error["message"] == (
        f"base_version: workflow {wid} is at version 2, not 1: it changed since this edit "
        "began; load version 2 and apply the edit again"
    )
    assert late.error["details"] == {"field": "base_version", "base_version": 1, "latest": 2}

    stored = await api("GET", "workflows", wid)
    assert stored.body["latest_version"] == 2
    assert [n["id"] for n in stored.body["document"]["graph"]["ir"]["nodes"]] == ["a", "b"]
    versions = await api("GET", "workflows", wid, "versions")
    assert [v["version"] for v in versions.body["items"]] == [1, 2]

    # The same edit saved from the older version replaces nothing: not a conflict.
    same = await api("PUT", "workflows", wid, json_body=_doc("a", "b"), params={"base_version": 1})
    assert same.code == 200 and same.body["version"] == 2, same.body

    again = await api("PUT", "workflows", wid, json_body=_doc("a", "c"), params={"base_version": 2})
    assert again.code == 200 and again.body["version"] == 3
    # Without base_version a save stores a new version as before.
    blind = await api("PUT", "workflows", wid, json_body=_doc("d"))
    assert blind.code == 200 and blind.body["version"] == 4


async def test_a_bad_base_version_names_the_query_field(api: Call) -> None:
    created = await api("POST", "workflows", json_body=_doc("a"))
    wid = created.body["id"]
    for bad in ("-1", "two", "1.5"):
        reply = await api(
            "PUT", "workflows", wid, json_body=_doc("b"), params={"base_version": bad}
        )
        assert reply.code == 422, reply.body
        assert reply.error["code"] == "invalid_query"
        assert reply.error["message"].startswith("query.base_version: ")
    assert (await api("GET", "workflows", wid)).body["latest_version"] == 1


async def test_base_version_0_creates_only_a_workflow_nobody_stored_yet(api: Call) -> None:
    """An editor of a document never stored says so (0): a workflow created since is a 409."""
    wid = "fresh-flow"
    first = await api(
        "PUT", "workflows", wid, json_body=_doc("a"), params={"create": "true", "base_version": 0}
    )
    assert first.code == 201 and first.body["version"] == 1, first.body

    late = await api(
        "PUT", "workflows", wid, json_body=_doc("b"), params={"create": "true", "base_version": 0}
    )
    assert late.code == 409, late.body
    assert late.error["code"] == "version_conflict"
    assert late.error["message"] == (
        f"base_version: workflow {wid} was stored (version 1) since this edit began from no "
        "stored version; load version 1 and apply the edit again"
    )
    assert late.error["details"] == {"field": "base_version", "base_version": 0, "latest": 1}
    stored = await api("GET", "workflows", wid)
    assert stored.body["latest_version"] == 1
    assert [n["id"] for n in stored.body["document"]["graph"]["ir"]["nodes"]] == ["a"]

    # Two editors creating one id at once: one is stored, the other told.
    replies = await asyncio.gather(
        *(
            api(
                "PUT",
                "workflows",
                "raced",
                json_body=_doc(f"n{i}"),
                params={"create": "true", "base_version": 0},
            )
            for i in range(4)
        )
    )
    assert sorted(r.code for r in replies) == [201, 409, 409, 409], [r.body for r in replies]
    assert {r.error["code"] for r in replies if r.code == 409} == {"version_conflict"}


async def test_of_concurrent_saves_from_one_version_exactly_one_is_stored(api: Call) -> None:
    created = await api("POST", "workflows", json_body=_doc("a"))
    wid = created.body["id"]
    saves = [
        api("PUT", "workflows", wid, json_body=_doc("a", f"n{i}"), params={"base_version": 1})
        for i in range(8)
    ]
    replies = await asyncio.gather(*saves)
    assert sorted(r.code for r in replies) == [200] + [409] * 7, [r.body for r in replies]
    winner = next(r for r in replies if r.code == 200)
    stored = await api("GET", "workflows", wid)
    assert stored.body["latest_version"] == 2
    assert stored.body["document"]["graph"] == winner.body["document"]["graph"]


async def test_a_triggers_update_keeps_a_save_made_while_it_was_applied(
    api: Call, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PUT /triggers reads the latest version and stores it with new triggers: a save that
    lands between the read and the write is kept (the update is applied to it), where it
    was replaced by the triggers on the older graph."""
    created = await api("POST", "workflows", json_body=_doc("a"))
    wid = created.body["id"]
    (orcheo,) = [
        a
        for a in jp_serverapp.extension_manager.extension_apps["orcheo_jupyter"]
        if hasattr(a, "get_executor")
    ]
    store = (await orcheo.get_executor()).store
    original = store.add_version
    someone: list[Any] = []

    async def meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not someone:  # someone else's save lands just before the triggers' write
            someone.append(None)  # their own write goes straight through
            theirs = {**_doc("a", "theirs"), "id": wid}
            someone[0] = await api(
                "PUT", "workflows", wid, json_body=theirs, params={"base_version": 1}
            )
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "add_version", meanwhile)
    update = {
        "triggers": [{"type": "cron", "id": "nightly", "config": {"expression": "0 3 * * *"}}]
    }
    reply = await api("PUT", "workflows", wid, "triggers", json_body=update)
    assert reply.code == 200, reply.body
    assert someone[0].code == 200 and someone[0].body["version"] == 2
    stored = await api("GET", "workflows", wid)
    assert stored.body["latest_version"] == 3
    document = stored.body["document"]
    assert [n["id"] for n in document["graph"]["ir"]["nodes"]] == ["a", "theirs"]
    assert [t["id"] for t in document["triggers"]] == ["nightly"]


async def test_a_restore_with_an_older_base_version_is_refused(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=_doc("a"))).body["id"]
    await api("PUT", "workflows", wid, json_body=_doc("a", "b"))
    await api("PUT", "workflows", wid, json_body=_doc("a", "c"))
    late = await api(
        "POST", "workflows", wid, "versions", "1", "restore", params={"base_version": 2}
    )
    assert late.code == 409, late.body
    assert late.error["code"] == "version_conflict"
    assert late.error["details"] == {"field": "base_version", "base_version": 2, "latest": 3}
    assert (await api("GET", "workflows", wid)).body["latest_version"] == 3
    bad = await api(
        "POST", "workflows", wid, "versions", "1", "restore", params={"base_version": "0"}
    )
    assert bad.code == 422 and bad.error["message"].startswith("query.base_version: ")
    done = await api(
        "POST", "workflows", wid, "versions", "1", "restore", params={"base_version": 3}
    )
    assert done.code == 200 and done.body["version"] == 4 and done.body["restored_from"] == 1
