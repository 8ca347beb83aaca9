"""Node code that raises what is not an ``Exception``, or makes text no store can hold.

``SystemExit``, ``KeyboardInterrupt`` or a bare ``BaseException`` raised by a node's
code used to escape the run: asyncio re-raises the first two out of the event loop
(a runner process died and the run was started again on the next one, three times),
and the third left the run ``running`` for ever. A lone UTF-16 surrogate in a node's
output or error message could not be stored, so the run's end was never recorded.
Each is now an ordinary failure of its node, and the executor runs on.
"""

from __future__ import annotations

import pytest

from orcheo_jupyter.runtime.executor import Executor
from tests.conftest import code_doc

RAISED = [
    ("raise SystemExit(0)", "SystemExit: 0"),
    ("raise SystemExit('bye')", "SystemExit: bye"),
    ("raise KeyboardInterrupt()", "KeyboardInterrupt"),
    ("raise BaseException('x')", "BaseException: x"),
]


async def _next_run_succeeds(executor: Executor) -> None:
    record = await executor.execute(code_doc("return {'ok': 1}"))
    assert record.status == "succeeded"
    assert record.final_state["results"] == {"c": {"ok": 1}}


@pytest.mark.asyncio
@pytest.mark.parametrize("body, cause", RAISED)
@pytest.mark.parametrize("mode", ["sync", "async", "timeout"])
async def test_a_node_raising_a_base_exception_fails_alone(
    executor: Executor, body: str, cause: str, mode: str
) -> None:
    node: dict[str, object] = {"timeout": 30} if mode == "timeout" else {}
    if mode == "async":
        body = f"import asyncio\nawait asyncio.sleep(0)\n{body}"
    record = await executor.execute(code_doc(body, node_id="quit", **node))
    line = 3 if mode == "async" else 1
    assert record.status == "failed"
    assert record.error == f"node 'quit' failed (line {line} of its code): {cause}"
    events = await executor.store.list_events(record.id)
    assert [e.type for e in events][-2:] == ["node_failed", "run_failed"]
    assert record.node_states == {"quit": "failed"}
    await _next_run_succeeds(executor)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body, where",
    [
        ("return {'x': '\\ud800'}", "output.x"),
        ("return {'x': ['ok', 'a\\udfffb']}", "output.x[1]"),
        ("return {'\\udc80': 1}", "output.\\udc80 (in the key)"),
    ],
)
async def test_an_output_no_store_can_hold_fails_its_node(
    executor: Executor, body: str, where: str
) -> None:
    record = await executor.execute(code_doc(body, node_id="odd"))
    assert record.status == "failed"
    assert record.error == (
        f"node 'odd' failed: its output holds an unpaired UTF-16 surrogate at {where} "
        "(\\ud800-\\udfff), which is not Unicode text and cannot be stored"
    )
    stored = await executor.store.get_run(record.id)
    assert stored is not None and stored.status == "failed"
    await _next_run_succeeds(executor)


@pytest.mark.asyncio
async def test_an_error_message_with_a_lone_surrogate_is_stored_escaped(
    executor: Executor,
) -> None:
    record = await executor.execute(code_doc("raise ValueError('bad \\ud800 text')", node_id="e"))
    expected = "node 'e' failed (line 1 of its code): ValueError: bad \\ud800 text"
    assert record.status == "failed"
    assert record.error == expected
    stored = await executor.store.get_run(record.id)
    assert stored is not None and stored.error == expected
    events = await executor.store.list_events(record.id)
    assert events[-1].type == "run_failed" and events[-1].data == {"error": expected}
    await _next_run_succeeds(executor)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body, cause",
    [
        (
            "d = []\nfor _ in range(100_000):\n    d = [d]\nreturn {'x': d}",
            "its output cannot be stored: RecursionError: ",
        ),
        ("d = {}\nd['d'] = d\nreturn {'x': d}", "its output cannot be stored: RecursionError: "),
        (
            "return {'x': 10 ** 5000}",
            "it returned a value that cannot be stored: an integer beyond 64 bits at"
            " results.odd.x; return JSON-like data",
        ),
    ],
)
async def test_an_output_that_cannot_be_written_fails_its_node_by_name(
    executor: Executor, body: str, cause: str
) -> None:
    record = await executor.execute(code_doc(body, node_id="odd"))
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith(f"node 'odd' failed: {cause}")
    events = await executor.store.list_events(record.id)
    assert [e.type for e in events][-2:] == ["node_failed", "run_failed"]
    await _next_run_succeeds(executor)
