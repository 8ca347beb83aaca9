"""A LangGraph script in Lab's file browser becomes a workflow: "Import as Orcheo workflow"."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import expect

from orcheo_jupyter import spec

from .lab import Lab

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"
#: Lab's requests carry a cache-busting query (``?1733...``).
ROUTE = re.compile(r"/orcheo/api/workflows/import-python(\?|$)")
FOLDER = "import_flows"

PIPELINE = """\
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    text: str


def fetch(state: State) -> dict:
    return {"text": "raw"}


def summarize(state: State) -> dict:
    return {"text": state["text"].upper()}


graph = StateGraph(State)
graph.add_node("fetch", fetch)
graph.add_node("summarize", summarize)
graph.add_edge(START, "fetch")
graph.add_edge("fetch", "summarize")
graph.add_edge("summarize", END)
"""

#: Two graphs and no orcheo_workflow(): the user picks one.
PAIR = """\
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    n: int


def one(state: State) -> dict:
    return {"n": 1}


def alpha(state: State) -> dict:
    return {"n": 2}


def beta(state: State) -> dict:
    return {"n": state["n"] + 1}


first = StateGraph(State)
first.add_node("one", one)
first.add_edge(START, "one")
first.add_edge("one", END)

second = StateGraph(State)
second.add_node("alpha", alpha)
second.add_node("beta", beta)
second.add_edge(START, "alpha")
second.add_edge("alpha", "beta")
second.add_edge("beta", END)
"""

#: Refused by the import allow-list, on its second line.
SHELL = "from langgraph.graph import StateGraph\nimport os\n"
TYPO = "def build(:\n    pass\n"


def _listed(page: Any, name: str) -> Any:
    """``name`` in the file browser's listing."""
    return page.locator(".jp-DirListing-content").get_by_text(name, exact=True)


def _import(page: Any, name: str) -> Any:
    """Right-click ``name`` in the file browser; the context menu's import item."""
    _listed(page, name).click(button="right")
    item = page.locator(".lm-Menu .lm-Menu-item", has_text="Import as Orcheo workflow")
    expect(item).to_be_visible()
    return item


def _refusal(page: Any, name: str, *fragments: str) -> None:
    """Import ``name``: a dialog tells what the server said; OK closes it."""
    _import(page, name).click()
    dialog = page.locator(".jp-Dialog")
    title = dialog.locator(".jp-Dialog-header")
    expect(title).to_contain_text(f"Cannot import {name}", timeout=30_000)
    for fragment in fragments:
        expect(dialog).to_contain_text(fragment)
    dialog.locator(".jp-mod-accept").click()
    expect(dialog).to_have_count(0)


def test_import_a_script_from_the_file_browser(page: Any, lab: Lab) -> None:
    folder = lab.root / FOLDER
    folder.mkdir()
    scripts = {"pipeline.py": PIPELINE, "pair.py": PAIR, "shell.py": SHELL, "typo.py": TYPO}
    for name, text in scripts.items():
        (folder / name).write_text(text)
    held: list[Any] = []
    page.route(ROUTE, lambda route: held.append(route))  # held until the test lets it through
    lab.open(page)
    _listed(page, FOLDER).dblclick()
    expect(_listed(page, "pipeline.py")).to_be_visible()

    # Right-click the script, "Import as Orcheo workflow": while the server builds the
    # graph the user is told so, and the item cannot be fired again.
    _import(page, "pipeline.py").click()
    expect(page.get_by_text("Importing pipeline.py", exact=False)).to_be_visible()
    deadline = time.monotonic() + 30
    while not held:
        assert time.monotonic() < deadline, "the script was never sent to import-python"
        page.wait_for_timeout(50)
    again = _import(page, "pipeline.py")
    expect(again).to_have_class(re.compile(r"\blm-mod-disabled\b"))
    expect(again).to_contain_text("importing…")
    again.click(force=True)  # a disabled item: nothing happens
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.unroute(ROUTE)
    done = page.get_by_text("Imported pipeline.py as pipeline.orcheo.json")
    expect(done).to_be_visible(timeout=60_000)  # the server builds the graph in a sandbox

    # The workflow opens on the canvas with the script's nodes, read-only (it is code).
    page.wait_for_selector(f'{DOC}[data-node-count="2"][data-read-only]', timeout=60_000)
    outline = page.locator(f"{DOC} .oc-outline li")
    assert outline.all_text_contents() == ["fetch", "summarize"]
    expect(page.locator(CURRENT_TAB)).to_contain_text("pipeline.orcheo.json")
    # ... written beside the script, canonical, as the server stored it.
    path = folder / "pipeline.orcheo.json"
    text = path.read_text()
    doc = spec.loads(text)
    assert text == spec.dumps(doc)
    assert doc.name == "pipeline" and doc.graph.format == "langgraph-script"
    assert doc.graph.index.nodes == ["fetch", "summarize"]  # type: ignore[union-attr]
    assert doc.graph.source == PIPELINE  # type: ignore[union-attr]
    stored = lab.api("GET", f"orcheo/api/workflows/{doc.id}")
    assert (stored["name"], stored["version"]) == ("pipeline", 1)

    # Again, from the command palette on the selected file: a new workflow in a new
    # file; the first file is not overwritten.
    _listed(page, "pipeline.py").click()
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("Import Selected Python")
    page.wait_for_selector(".lm-CommandPalette-item.lm-mod-active:has-text('Import Selected')")
    page.keyboard.press("Enter")
    expect(page.locator(".jp-OrcheoDocument")).to_have_count(2, timeout=60_000)
    expect(page.locator(CURRENT_TAB)).to_contain_text("pipeline-1.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]:visible', timeout=60_000)
    second = spec.load(folder / "pipeline-1.orcheo.json")
    assert second.graph.index.nodes == ["fetch", "summarize"]  # type: ignore[union-attr]
    assert second.id and second.id != doc.id
    assert path.read_text() == text

    # A script with two graphs: the user is asked which one is the workflow.
    _import(page, "pair.py").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-Dialog-header")).to_contain_text("Which graph of pair.py?")
    expect(dialog).to_contain_text("pair.py defines 2 graphs")
    assert dialog.locator("select option").all_text_contents() == ["first", "second"]
    dialog.locator("select").select_option("second")
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector(f'{DOC}[data-node-count="2"]:visible', timeout=60_000)
    expect(page.locator(CURRENT_TAB)).to_contain_text("pair.orcheo.json")
    expect(page.locator(f"{DOC}:visible .oc-outline li")).to_have_text(["alpha", "beta"])
    pair = spec.load(folder / "pair.orcheo.json")
    assert pair.graph.entrypoint == "second"  # type: ignore[union-attr]
    assert pair.graph.index.nodes == ["alpha", "beta"]  # type: ignore[union-attr]

    # Scripts the server refuses: its words (and the line they name) in a dialog.
    _refusal(page, "shell.py", "line 2: import of 'os' is not allowed", "2 | import os")
    _refusal(page, "typo.py", "line 1: syntax error", "1 | def build(:")

    # Nothing written for them, the scripts as they were, nothing else stored.
    # (Lab keeps the checkpoints of the files it opened in .ipynb_checkpoints.)
    written = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    assert sorted(written) == sorted(
        [*scripts, "pipeline.orcheo.json", "pipeline-1.orcheo.json", "pair.orcheo.json"]
    )
    for name, script in scripts.items():
        assert (folder / name).read_text() == script
    names = [w["name"] for w in lab.api("GET", "orcheo/api/workflows?limit=100")["items"]]
    assert sorted(n for n in names if n in ("pipeline", "shell", "typo")) == ["pipeline"] * 2
