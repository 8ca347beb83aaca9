"""The script import guardrail against a corpus of sandbox escapes (issue 14, item 5).

Each file in ``script_escapes/`` is a script that, if its escape worked, would
reach ``os.system`` (or another capability) and touch ``MARKER``. It is tried
the way the server meets it: restricted compilation, then the import child that
builds the graph, then (if it got that far) a run of the stored script document
through an ``Executor`` with the restricted loader, as a runner process runs
imported graphs. Every one must be refused, with the message its ``# expect:``
line names, and the marker must never appear.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orcheo_jupyter.ingest import AllowList, compile_script, restricted_loader
from orcheo_jupyter.ingest.sandbox import build_index
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.script_graph import load_script_graph, set_script_loader
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec.problems import DocumentError

CORPUS = sorted((Path(__file__).parent / "script_escapes").glob("*.py"))


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30


def _expected(source: str) -> str:
    first = source.splitlines()[0]
    assert first.startswith("# expect: "), "each payload names the refusal it expects"
    return first.removeprefix("# expect: ")


async def _run(source: str, data_dir: Path) -> str | None:
    """Run the script as a stored document runs: its failure, or None if it succeeded."""
    doc = {"name": "escape", "graph": {"format": "langgraph-script", "source": source}}
    previous = set_script_loader(restricted_loader())
    executor = await Executor.open(Settings(data_dir=data_dir, durability="sync"))
    try:
        record = await executor.execute(doc, {"x": 0})
    finally:
        await executor.aclose()
        set_script_loader(previous)
    return record.error if record.status != "succeeded" else None


def _refusal(source: str, data_dir: Path) -> str | None:
    """The first refusal met on the way from source text to a finished run."""
    try:
        compiled = compile_script(source)
    except DocumentError as exc:
        return "; ".join(p.message for p in exc.problems)
    try:
        build_index(compiled, None, allow=AllowList(), timeout=30)
    except DocumentError as exc:
        return "; ".join(p.message for p in exc.problems)
    try:
        return asyncio.run(_run(source, data_dir))
    except DocumentError as exc:
        return "; ".join(p.message for p in exc.problems)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_escape_is_refused(path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    source = path.read_text().replace("MARKER", str(marker))
    refusal = _refusal(source, tmp_path / "data")
    assert not marker.exists(), "the payload escaped the sandbox"
    assert refusal is not None, "the payload ran to the end without being refused"
    assert _expected(source) in refusal


LEGITIMATE = """\
from __future__ import annotations

import asyncio
import operator
import typing
from typing import Annotated, Optional

import pydantic
from langgraph.graph import END, START, MessagesState, StateGraph


class Item(pydantic.BaseModel):
    name: str
    size: Optional[int] = None


class State(MessagesState):
    items: Annotated[list, operator.add]
    names: list[str]
    later: "Optional[Item]"


async def load(state: State) -> dict:
    sizes = await asyncio.gather(*(asyncio.sleep(0, result=n) for n in (1, 2, 3)))
    return {"items": [Item(name=f"item{n}", size=n) for n in sizes]}


def sort(state: State) -> dict:
    ordered = sorted(state["items"], key=operator.attrgetter("size"), reverse=True)
    hints = typing.get_type_hints(Item)
    assert hints["size"] == Optional[int]
    return {"names": [operator.methodcaller("upper")(i.name) for i in ordered]}


def build_graph():
    graph = StateGraph(State)
    graph.add_node("load", load)
    graph.add_node("sort", sort)
    graph.add_edge(START, "load")
    graph.add_edge("load", "sort")
    graph.add_edge("sort", END)
    return graph
"""


def test_what_scripts_legitimately_do_still_works() -> None:
    """String annotations, guarded attrgetter, pydantic models and asyncio keep working."""
    compiled = compile_script(LEGITIMATE)
    index = build_index(compiled, "build_graph", allow=AllowList(), timeout=30)
    assert index["nodes"] == ["load", "sort"]
    graph = load_script_graph(LEGITIMATE, "build_graph", loader=restricted_loader()).compile()
    out = asyncio.run(graph.ainvoke({"messages": [], "items": []}))
    assert out["names"] == ["ITEM3", "ITEM2", "ITEM1"]
