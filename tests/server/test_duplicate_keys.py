"""A JSON body naming one key twice is refused, not read as its last value.

``{"name": "a", "name": "b"}`` used to be stored as "b", and ``{"inputs": A, "inputs":
B}`` ran with B: which value a client meant cannot be told, so it gets a 400 naming
the key, on every route (small bodies on the loop, large ones in the document worker).
"""

from __future__ import annotations

import json

from tests.conftest import linear_doc

from .conftest import Call


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}  # a new dict: jp_fetch adds its token to it


def _twice(key: str, first: str, second: str, rest: str = "") -> str:
    return "{" + f'"{key}": {first}, "{key}": {second}' + (f", {rest}" if rest else "") + "}"


async def test_a_duplicate_key_is_a_400_naming_it_and_stores_nothing(api: Call) -> None:
    graph = json.dumps(linear_doc("a")["graph"])
    body = _twice("name", '"first"', '"second"', f'"graph": {graph}')
    reply = await api("POST", "workflows", body=body, headers=_json())
    assert reply.code == 400, reply.body
    assert reply.error["code"] == "invalid_json"
    assert reply.error["message"].startswith(
        "request body: the key 'name' appears twice in one object"
    )
    assert reply.error["details"] == {"field": "body", "key": "name"}
    assert (await api("GET", "workflows")).body["total"] == 0


async def test_duplicate_inputs_or_nested_keys_start_no_run(api: Call) -> None:
    created = await api("POST", "workflows", json_body=linear_doc("a"))
    wid = created.body["id"]
    for body in (
        _twice("inputs", '{"x": 1}', '{"x": 2}'),
        '{"inputs": ' + _twice("x", "1", "2") + "}",
    ):
        reply = await api("POST", "workflows", wid, "execute", body=body, headers=_json())
        assert reply.code == 400, reply.body
        assert reply.error["details"]["key"] in ("inputs", "x")
    assert (await api("GET", "executions")).body["total"] == 0


async def test_a_large_body_with_a_duplicate_key_is_refused_too(api: Call) -> None:
    doc = linear_doc(*[f"n{i}" for i in range(600)])  # over 64 KiB: the document worker
    text = json.dumps(doc)
    assert len(text) > 64 * 1024
    body = text[:-1] + ', "name": "again"}'
    reply = await api("POST", "workflows", body=body, headers=_json())
    assert reply.code == 400, reply.body
    assert reply.error["details"] == {"field": "body", "key": "name"}
