"""Our checkpoint file is LangGraph's own format: stock savers read it and resume from it.

``BufferedSqliteSaver`` records ``SqliteSaver``'s SQL through a stand-in cursor, so
a new langgraph-checkpoint-sqlite release that changed its statements would
quietly write rows nothing else can read. These tests open the file with the
stock ``SqliteSaver`` and ``AsyncSqliteSaver`` and continue a run with them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command

from orcheo_jupyter.runtime.build import as_document, build_graph
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from tests.nodes.helpers import chain_doc, node

pytestmark = pytest.mark.asyncio


def _approval_doc() -> dict[str, object]:
    return chain_doc(
        node("greet", "SetVariableNode", variables={"hello": "Hi {{inputs.who}}"}),
        node("ask", "HumanInputNode", prompt="Approve {{inputs.who}}?"),
        node("after", "SetVariableNode", variables={"answer": "{{ask.answer}}"}),
    )


async def _interrupted_run(tmp_path: Path) -> tuple[str, Path, dict[str, object]]:
    settings = Settings(data_dir=tmp_path, durability="sync")
    executor = await Executor.open(settings)
    try:
        doc = _approval_doc()
        record = await executor.execute(doc, {"who": "Ada"})
        assert record.status == "interrupted"
        ours = await executor.checkpoints(record.id)
    finally:
        await executor.aclose()
    assert len(ours) >= 3
    return record.id, settings.checkpoint_file, {"doc": doc, "ours": ours}


async def test_stock_sqlite_saver_reads_every_checkpoint_we_wrote(tmp_path: Path) -> None:
    run_id, path, seen = await _interrupted_run(tmp_path)
    config = {"configurable": {"thread_id": run_id}}
    with sqlite3.connect(path, check_same_thread=False) as conn:
        stock = SqliteSaver(conn)
        listed = list(stock.list(config))
        latest = stock.get_tuple(config)
    ours = seen["ours"]
    assert isinstance(ours, list)
    assert [t.config["configurable"]["checkpoint_id"] for t in listed] == [
        c["checkpoint_id"] for c in ours
    ]
    assert latest is not None
    assert latest.checkpoint["channel_values"]["results"] == {"greet": {"hello": "Hi Ada"}}
    # The interrupt is a pending write of the latest checkpoint: stock code sees it too.
    assert any(channel == "__interrupt__" for _, channel, _ in latest.pending_writes or [])


async def test_stock_async_saver_resumes_the_interrupted_run(tmp_path: Path) -> None:
    run_id, path, seen = await _interrupted_run(tmp_path)
    graph = build_graph(as_document(seen["doc"]))  # type: ignore[arg-type]
    async with AsyncSqliteSaver.from_conn_string(str(path)) as stock:
        compiled = graph.compile(checkpointer=stock)
        config = {"configurable": {"thread_id": run_id}}
        snapshot = await compiled.aget_state(config)
        assert snapshot.next == ("ask",)
        final = await compiled.ainvoke(Command(resume="yes"), config)
    assert final["results"]["after"] == {"answer": "yes"}
    assert final["results"]["greet"] == {"hello": "Hi Ada"}
