"""Node code that raises what is not an ``Exception``.

``SystemExit``, ``KeyboardInterrupt`` or a bare ``BaseException`` raised by a node's
code used to escape the run: asyncio re-raises the first two out of the event loop
(a runner process died and the run was started again on the next one, three times),
and the third left the run ``running`` for ever. Each is now an ordinary failure of
its node, and the executor runs on.
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
