"""A big request body is checked in the document worker process, a small one on the loop.

Decoding and validating a multi-megabyte document holds the GIL, so bodies of
``LARGE_BODY_BYTES`` and more are checked in another process (issue 13, item 6).
A client must not be able to tell the two paths apart: each invalid document here
is sent once through the worker and once, with the threshold raised, through the
in-process path, and both answers must be byte-for-byte the same error.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from orcheo_jupyter.server import base
from tests.conftest import linear_doc

from .conftest import Call, Reply, make_api

# 150 nodes of 500 bytes: about 80 KB of JSON, above LARGE_BODY_BYTES, and few enough
# nodes to compile quickly on a loaded machine.
NODES = 150
PAD = "p" * 400
Wait = Callable[..., Awaitable[dict[str, Any]]]


def big_doc(name: str = "big") -> dict[str, Any]:
    doc = linear_doc(*[f"n{i}" for i in range(NODES)], name=name)
    for node in doc["graph"]["ir"]["nodes"]:
        node["config"]["variables"]["pad"] = PAD
    return doc


def big_legacy() -> dict[str, Any]:
    names = [f"n{i}" for i in range(NODES)]
    chain = ["START", *names, "END"]
    return {
        "name": "big legacy",
        "nodes": [
            {"name": "START", "type": "START"},
            *(
                {"name": n, "type": "SetVariableNode", "variables": {"me": n, "pad": PAD}}
                for n in names
            ),
            {"name": "END", "type": "END"},
        ],
        "edges": [[a, b] for a, b in itertools.pairwise(chain)],
    }


def _edit(change: Callable[[dict[str, Any]], None], doc: dict[str, Any] | None = None) -> bytes:
    doc = copy.deepcopy(doc or big_doc())
    change(doc)
    return json.dumps(doc).encode()


def _node(doc: dict[str, Any], index: int) -> dict[str, Any]:
    return doc["graph"]["ir"]["nodes"][index]  # type: ignore[no-any-return]


def _empty_subgraph(doc: dict[str, Any]) -> None:
    doc["graph"]["ir"]["nodes"][10] = {
        "kind": "subgraph",
        "id": "n10",
        "graph": {"schema_version": 1, "nodes": [], "edges": []},
    }


def _legacy_typo(doc: dict[str, Any]) -> None:
    doc["nodes"][120]["varaibles"] = {"x": 1}


#: name -> (request body, expected status)
INVALID: dict[str, tuple[bytes, int]] = {
    "unknown top-level key": (_edit(lambda d: d.update(colour="red")), 422),
    "config of the wrong type": (
        _edit(lambda d: _node(d, 140)["config"].update(variables="not a mapping")),
        422,
    ),
    "unknown node type": (_edit(lambda d: _node(d, 130).update(type="NoSuchNode")), 422),
    "edge to a missing node": (
        _edit(lambda d: d["graph"]["ir"]["edges"].append({"source": "n5", "target": "nowhere"})),
        422,
    ),
    "graph that cannot compile": (_edit(_empty_subgraph), 422),
    "reserved id": (_edit(lambda d: d.update(id="validate")), 422),
    "inputs_schema that is no JSON Schema": (
        _edit(lambda d: d.update(inputs_schema={"type": "no such type"})),
        422,
    ),
    "legacy JSON with a misspelt field": (_edit(_legacy_typo, big_legacy()), 422),
    "broken JSON": (json.dumps(big_doc()).encode()[:-40], 400),
    "lone surrogate": (
        json.dumps(big_doc()).replace('"me": "n100"', '"me": "\\ud800"').encode(),
        400,
    ),
    "NaN in a config": (
        json.dumps(big_doc()).replace('"me": "n90"', '"me": NaN').encode(),
        400,
    ),
    "a JSON array": (json.dumps([big_doc()]).encode(), 422),
}


@pytest.fixture
def api(jp_fetch: Any) -> Call:
    """The suite's ``api``, waiting up to 120 s: a loaded machine starts the worker slowly."""

    def fetch(*args: Any, **kwargs: Any) -> Any:
        return jp_fetch(*args, request_timeout=120, **kwargs)

    return make_api(fetch)


@pytest.fixture
def decoded_here(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Sizes of the bodies this (the server's) process decoded."""
    sizes: list[int] = []
    decode = base.decode_json

    def counting(raw: bytes, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(raw))
        return decode(raw, *args, **kwargs)

    monkeypatch.setattr(base, "decode_json", counting)
    yield sizes


async def _both_ways(
    api: Call, monkeypatch: pytest.MonkeyPatch, decoded_here: list[int], *request: Any, body: bytes
) -> tuple[Reply, Reply]:
    """The reply through the document worker, then through the in-process path."""
    assert len(body) >= base.LARGE_BODY_BYTES
    decoded_here.clear()
    headers = {"Content-Type": "application/json"}
    worker = await api(*request, body=body, headers=headers)
    assert len(body) not in decoded_here, "the big body was decoded in the server process"
    with monkeypatch.context() as patch:
        patch.setattr(base, "LARGE_BODY_BYTES", 10**12)
        here = await api(*request, body=body, headers=headers)
    assert len(body) in decoded_here, "the threshold did not move the body to the loop"
    return worker, here


async def test_an_invalid_big_document_is_refused_the_same_either_way(
    api: Call, monkeypatch: pytest.MonkeyPatch, decoded_here: list[int]
) -> None:
    for case, (body, status) in INVALID.items():
        worker, here = await _both_ways(
            api, monkeypatch, decoded_here, "POST", "workflows", body=body
        )
        assert worker.code == here.code == status, (case, worker.body, here.body)
        assert worker.body == here.body, case
        assert worker.error["code"] in ("invalid_document", "invalid_json", "invalid_value"), case
    listed = await api("GET", "workflows")
    assert listed.body["total"] == 0  # nothing stored by either


async def test_an_invalid_big_update_is_refused_the_same_either_way(
    api: Call, monkeypatch: pytest.MonkeyPatch, decoded_here: list[int]
) -> None:
    stored = await api("POST", "workflows", json_body=linear_doc("a", "b"))
    wid = stored.body["id"]
    mismatch = _edit(lambda d: d.update(id="someone-else"))
    worker, here = await _both_ways(
        api, monkeypatch, decoded_here, "PUT", "workflows", wid, body=mismatch
    )
    assert worker.code == here.code == 422
    assert worker.body == here.body
    assert worker.error["details"][0]["field"] == "id"
    # A workflow that does not exist: an invalid body is still a 422 first, a valid one a 404.
    bad = INVALID["unknown top-level key"][0]
    worker, here = await _both_ways(
        api, monkeypatch, decoded_here, "PUT", "workflows", "nope", body=bad
    )
    assert worker.code == here.code == 422 and worker.body == here.body
    good = json.dumps(big_doc()).encode()
    worker, here = await _both_ways(
        api, monkeypatch, decoded_here, "PUT", "workflows", "nope", body=good
    )
    assert worker.code == here.code == 404 and worker.body == here.body
    versions = await api("GET", "workflows", wid, "versions")
    assert [v["version"] for v in versions.body["items"]] == [1]


def _without_identity(reply: Reply) -> dict[str, Any]:
    kept = {
        k: v for k, v in reply.body.items() if k not in ("id", "slug", "created_at", "updated_at")
    }
    kept["document"] = {k: v for k, v in kept["document"].items() if k != "id"}
    return kept


async def test_a_big_document_is_stored_and_runs_the_same_either_way(
    api: Call, monkeypatch: pytest.MonkeyPatch, decoded_here: list[int], wait_run: Wait
) -> None:
    legacy = json.dumps(big_legacy()).encode()
    worker, here = await _both_ways(
        api, monkeypatch, decoded_here, "POST", "workflows", body=legacy
    )
    assert worker.code == here.code == 201, (worker.body, here.body)
    assert _without_identity(worker) == _without_identity(here)
    assert worker.body["notices"][0].startswith("converted from Orcheo's legacy JSON")
    assert len(worker.body["document"]["graph"]["ir"]["nodes"]) == NODES
    assert worker.headers["Location"].endswith(f"/orcheo/api/workflows/{worker.body['id']}")
    wid = worker.body["id"]
    stored = (await api("GET", "workflows", wid, "versions", "1")).body
    assert stored["document"] == worker.body["document"]  # what the reply showed

    # An update through the worker: a new version; the same document again keeps it.
    renamed = json.dumps({**big_doc(), "name": "renamed"}).encode()
    headers = {"Content-Type": "application/json"}
    updated = await api("PUT", "workflows", wid, body=renamed, headers=headers)
    assert updated.code == 200, updated.body
    assert (updated.body["version"], updated.body["name"]) == (2, "renamed")
    assert updated.body["document"]["id"] == wid
    again = await api("PUT", "workflows", wid, body=renamed, headers=headers)
    assert again.body["version"] == 2
    assert len(renamed) not in decoded_here

    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    run = await wait_run(run_id, timeout=180)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"]["results"][f"n{NODES - 1}"] == {"me": f"n{NODES - 1}", "pad": PAD}
