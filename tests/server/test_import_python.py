"""POST /orcheo/api/workflows/import-python and its guardrails."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.ingest import compiler, policy, sandbox

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]

COUNTER = """\
import operator
from typing import Annotated
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    count: int
    log: Annotated[list, operator.add]


def bump(state: State) -> dict:
    n = state["count"]
    n += 1
    return {"count": n, "log": [f"bump {n}"]}


async def double(state: State) -> dict:
    return {"count": state["count"] * 2, "log": ["double"]}


def route(state: State) -> str:
    return "big" if state["count"] > 5 else "small"


def orcheo_workflow():
    graph = StateGraph(State)
    graph.add_node("bump", bump)
    graph.add_node("double", double)
    graph.add_edge(START, "bump")
    graph.add_conditional_edges("bump", route, {"big": END, "small": "double"})
    graph.add_edge("double", END)
    return graph


if __name__ == "__main__":
    while True:  # would hang the import if main blocks ran
        pass
"""

TWO_GRAPHS = """\
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    x: int


def one(state):
    return {"x": state["x"] + 1}


first = StateGraph(State)
first.add_node("one", one)
first.add_edge(START, "one")
first.add_edge("one", END)

second = StateGraph(State)
second.add_node("alpha", one)
second.add_node("beta", one)
second.add_edge(START, "alpha")
second.add_edge("alpha", "beta")
second.add_edge("beta", END)
"""


async def _import(api: Call, script: str, **extra: Any) -> Any:
    return await api(
        "POST", "workflows", "import-python", json_body={"script": script, "name": "s", **extra}
    )


async def test_import_indexes_the_graph_and_runs_it(api: Call, wait_run: Wait) -> None:
    reply = await _import(api, COUNTER)
    assert reply.code == 201, reply.body
    graph = reply.body["document"]["graph"]
    assert graph["format"] == "langgraph-script"
    assert graph["source"] == COUNTER
    assert graph["index"]["nodes"] == ["bump", "double"]
    assert {(e["source"], e["target"]) for e in graph["index"]["edges"]} == {
        ("__start__", "bump"),
        ("double", "__end__"),
    }
    [cond] = graph["index"]["conditional_edges"]
    assert cond["source"] == "bump"
    assert cond["mapping"] == {"big": "__end__", "small": "double"}

    wid = reply.body["id"]
    run_id = (
        await api("POST", "workflows", wid, "execute", json_body={"inputs": {"count": 1}})
    ).body["execution_id"]
    run = await wait_run(run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"]["count"] == 4
    assert run["final_state"]["log"] == ["bump 2", "double"]


#: Shaped like upstream's agent examples: pprint, dotenv and an in-memory saver are
#: imported for the ``__main__`` block that runs the graph locally.
LOCAL_MAIN = """\
import asyncio
import os
from pprint import pformat, pprint
from dotenv import load_dotenv
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

LOADED = load_dotenv()


class State(TypedDict, total=False):
    seen: str
    loaded: bool


def show(state: State) -> dict:
    pprint(state)  # kept nowhere, as print in a script
    return {"seen": pformat({"b": 1, "a": [1, 2]}), "loaded": LOADED}


def build_graph():
    graph = StateGraph(State)
    graph.add_node("show", show)
    graph.add_edge(START, "show")
    graph.add_edge("show", END)
    return graph


if __name__ == "__main__":
    app = build_graph().compile(checkpointer=InMemorySaver())
    pprint(asyncio.run(app.ainvoke({}, {"configurable": {"thread_id": "1"}})))
"""


async def test_upstream_style_local_main_imports_are_served_by_stand_ins(
    api: Call, wait_run: Wait, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A .env where the server runs: an imported script must not load it.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ORCHEO_TEST_FROM_DOTENV=leaked\n")
    script = LOCAL_MAIN.replace("import os\n", "")
    reply = await _import(api, script)
    assert reply.code == 201, reply.body
    assert reply.body["document"]["graph"]["index"]["nodes"] == ["show"]
    run_id = (await api("POST", "workflows", reply.body["id"], "execute", json_body={})).body[
        "execution_id"
    ]
    run = await wait_run(run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"] == {"seen": "{'a': [1, 2], 'b': 1}", "loaded": False}
    assert "ORCHEO_TEST_FROM_DOTENV" not in os.environ

    # os is still refused; an in-memory saver built outside the main block says why.
    refused = await _import(api, LOCAL_MAIN)
    assert refused.code == 422 and "import of 'os' is not allowed" in refused.error["message"]
    eager = script.replace(
        "LOADED = load_dotenv()", "LOADED = load_dotenv()\nSAVER = InMemorySaver()"
    )
    refused = await _import(api, eager)
    assert refused.code == 422
    assert (
        "InMemorySaver is not available to imported scripts: orcheo-jupyter stores every "
        "run's checkpoints itself" in refused.error["message"]
    )
    for sub, why in [
        ("from dotenv.main import load_dotenv\n", "import of 'dotenv.main' is not allowed"),
        ("from pprint import PrettyPrinter\n", "cannot import name 'PrettyPrinter'"),
        (
            "import langgraph.checkpoint.memory as m\n",
            "langgraph.checkpoint.memory is a stand-in here: "
            "write 'from langgraph.checkpoint.memory import ...'",
        ),
    ]:
        refused = await _import(api, sub)
        assert refused.code == 422 and why in refused.error["message"], refused.error


#: Shaped like upstream's credential_placeholder_langgraph.py: the graph takes its
#: secrets as [[placeholders]]; the imports fill a local vault for the __main__ run.
LOCAL_VAULT = """\
from __future__ import annotations
import asyncio
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.models import CredentialScope
from orcheo.nodes.logic import SetVariableNode
from orcheo.runtime.credentials import CredentialResolver, credential_resolution
from orcheo.vault import InMemoryCredentialVault


def build_graph() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node(
        "store_secret",
        SetVariableNode(
            name="store_secret",
            variables={"token": "[[bot_token]]", "bot_name": "MyBot"},
        ),
    )
    graph.add_edge(START, "store_secret")
    graph.add_edge("store_secret", END)
    return graph


def setup(resolver: CredentialResolver | None = None) -> None:
    vault = InMemoryCredentialVault()
    vault.create_credential(name="bot_token", secret="x", scope=CredentialScope.unrestricted())


if __name__ == "__main__":
    with credential_resolution(CredentialResolver(InMemoryCredentialVault())):
        asyncio.run(build_graph().compile().ainvoke({"inputs": {}, "results": {}}))
"""


async def test_upstream_local_vault_imports_load_and_placeholders_use_our_vault(
    api: Call, wait_run: Wait
) -> None:
    reply = await _import(api, LOCAL_VAULT)
    assert reply.code == 201, reply.body
    node = reply.body["document"]["graph"]["ir"]["nodes"][0]
    assert (node["type"], node["config"]["variables"]["token"]) == (
        "SetVariableNode",
        "[[bot_token]]",
    )
    wid = reply.body["id"]
    # Not in our vault yet: the run is refused before it starts, naming the credential.
    refused = await api("POST", "workflows", wid, "execute", json_body={})
    assert refused.code == 422 and refused.error["code"] == "credential_unavailable"
    assert "bot_token" in refused.error["message"]
    stored = await api("POST", "credentials", json_body={"name": "bot_token", "value": "t0k3n"})
    assert stored.code == 201
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    run = await wait_run(run_id)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"]["results"]["store_secret"]["bot_name"] == "MyBot"
    assert "t0k3n" not in json.dumps(run)

    # Using the local setup outside the __main__ block says where credentials live.
    eager = LOCAL_VAULT.replace("\n\nif __name__", "\n\nsetup()\n\nif __name__")
    refused = await _import(api, eager)
    assert refused.code == 422
    assert (
        "orcheo.vault.InMemoryCredentialVault() is upstream's setup for running a script on "
        "its own; orcheo-jupyter resolves [[name]] placeholders from its own credential vault"
    ) in refused.error["message"]


def test_the_pprint_stand_in_formats_but_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    namespace = policy.script_module("pprint-check", policy.AllowList()).__dict__
    pprint_module = namespace["__builtins__"]["__import__"]("pprint", namespace, None, ("pp",))
    pprint_module.pprint({"secret-looking": "line"})
    pprint_module.pp(["x"] * 3, width=5)
    assert pprint_module.pformat({"b": 1, "a": 2}) == "{'a': 2, 'b': 1}"
    assert capfd.readouterr() == ("", "")
    assert not hasattr(pprint_module, "PrettyPrinter")


async def test_a_graph_that_cannot_compile_is_refused_naming_why(api: Call) -> None:
    empty = "from typing_extensions import TypedDict\nfrom langgraph.graph import StateGraph\n\n\n"
    empty += "class State(TypedDict):\n    x: int\n\n\ngraph = StateGraph(State)\n"
    reply = await api(
        "POST", "workflows", "import-python", json_body={"script": empty, "name": "empty"}
    )
    assert reply.code == 422
    (problem,) = reply.error["details"]
    assert problem["field"] == "graph.source"
    assert problem["message"].startswith(
        "the graph does not compile: Graph must have an entrypoint"
    )


async def test_entrypoint_names_one_of_several_graphs(api: Call) -> None:
    refused = await _import(api, TWO_GRAPHS)
    assert refused.code == 422
    assert "defines 2 graphs" in refused.error["message"]
    reply = await _import(api, TWO_GRAPHS, entrypoint="second")
    assert reply.code == 201
    assert reply.body["document"]["graph"]["entrypoint"] == "second"
    assert reply.body["document"]["graph"]["index"]["nodes"] == ["alpha", "beta"]
    single = await _import(api, TWO_GRAPHS.split("second =")[0])
    assert single.code == 201
    assert single.body["document"]["graph"]["index"]["nodes"] == ["one"]
    missing = await _import(api, TWO_GRAPHS, entrypoint="third")
    assert missing.code == 422 and "'third' is not defined" in missing.error["message"]


async def test_size_is_measured_in_utf8_bytes_before_parsing(api: Call) -> None:
    # 70,000 characters, 140,000 bytes: over 128 KiB only when encoded. Not even
    # valid Python: the size check must come first.
    big = "é" * 70_000
    reply = await _import(api, big)
    assert reply.code == 413
    assert reply.error["code"] == "too_large"
    assert reply.error["message"] == (
        "script is 140,000 bytes after UTF-8 encoding; the limit is 131,072 bytes (128 KiB)"
    )
    assert reply.error["details"] == {"size": 140_000, "limit": 131_072}
    padded = "# " + "é" * 60_000 + "\n" + COUNTER  # 120,000+ bytes: under the limit
    assert (await _import(api, padded)).code == 201


@pytest.mark.parametrize(
    ("script", "fragment"),
    [
        ("import os\n", "line 1: import of 'os' is not allowed"),
        ("def f():\n    import subprocess\n", "line 2: import of 'subprocess' is not allowed"),
        ("from langchain_core import tools\n", "import of 'langchain_core.tools' is not allowed"),
        ("x = ().__class__\n", '"__class__" is an invalid attribute name'),
        ("eval('1')\n", "Eval calls are not allowed"),
        ("import dataclasses\nx = dataclasses.sys\n", "access to module 'sys' is not allowed"),
        ("from dataclasses import sys\n", "import of 'sys' is not allowed"),
        ("import json\njson.loads = None\n", "may not modify module 'json'"),
        ("def f(:\n", "line 1: syntax error"),
        ("raise ValueError('boom')\n", "script raised ValueError: boom"),
    ],
)
async def test_restricted_compilation_and_allow_list(api: Call, script: str, fragment: str) -> None:
    reply = await _import(api, script)
    assert reply.code == 422, reply.body
    assert fragment in reply.error["message"]
    assert reply.error["details"][0]["field"] == "graph.source"
    assert (await api("GET", "workflows")).body["total"] == 0


async def test_compiled_code_is_cached_by_content(api: Call) -> None:
    script = COUNTER.replace("bump", "bump_cached")
    before = compiler.cache.compiles
    assert (await _import(api, script)).code == 201
    assert compiler.cache.compiles == before + 1
    assert (await _import(api, script)).code == 201
    assert compiler.cache.compiles == before + 1  # second import: no compilation
    assert (await _import(api, script + "\n# changed\n")).code == 201
    assert compiler.cache.compiles == before + 2


async def test_script_documents_posted_directly_pass_the_same_guardrails(api: Call) -> None:
    doc = {
        "name": "direct",
        "graph": {
            "format": "langgraph-script",
            "source": COUNTER,
            "index": {"nodes": ["made", "up"]},
        },
    }
    reply = await api("POST", "workflows", json_body=doc)
    assert reply.code == 201
    assert reply.body["document"]["graph"]["index"]["nodes"] == ["bump", "double"]
    doc["graph"]["source"] = "import os\n" + COUNTER
    refused = await api("POST", "workflows", json_body=doc)
    assert refused.code == 422 and "'os' is not allowed" in refused.error["message"]


class TestTimeLimit:
    @pytest.fixture
    def orcheo_config(self) -> dict[str, Any]:
        return {"script_timeout": 2.0}

    @pytest.mark.parametrize(
        "script",
        [
            "while True:\n    pass\n",
            COUNTER.replace("    graph = StateGraph(State)", "    while True:\n        pass"),
            "import math\nx = math.factorial(10 ** 8)\n",  # one C call: no bytecode boundary
        ],
        ids=["module-loop", "builder-loop", "c-level"],
    )
    async def test_graph_building_is_stopped_at_the_limit(self, api: Call, script: str) -> None:
        task = asyncio.ensure_future(_import(api, script))
        await asyncio.sleep(0.2)
        # The server keeps answering while a script spins: this request is served
        # while the import is still waiting for its child process.
        assert (await api("GET", "workflows")).code == 200
        assert not task.done()
        reply = await asyncio.wait_for(task, 60)  # stopped, not left running forever
        assert reply.code == 422, reply.body
        assert reply.error["details"][0]["code"] == "timeout"
        assert "took longer than 2 s" in reply.error["message"]
        assert (await api("GET", "workflows")).body["total"] == 0
        assert sandbox._server is not None
        assert live_children(sandbox._server.proc.pid) == []  # the spinning child is gone


def live_children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` and that are not zombies (awaiting a reap)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


async def test_an_imported_script_never_executes_in_the_server_process(
    api: Call, wait_run: Wait
) -> None:
    """Runs, checkpoints and re-runs of a script workflow happen in runner processes.

    The server under test lives in this process: a script module registered here
    (restricted execution registers one per script text) means the server ran it.
    """
    import sys
    import uuid

    script = f"# {uuid.uuid4().hex}\n{COUNTER}"
    module = f"{policy.SCRIPT_MODULE}_{compiler.compile_script(script).key[:16]}"
    sys.modules.pop(module, None)  # compiling it above executed nothing
    wid = (await _import(api, script)).body["id"]
    run_id = (
        await api("POST", "workflows", wid, "execute", json_body={"inputs": {"count": 1}})
    ).body["execution_id"]
    run = await wait_run(run_id, timeout=90)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"]["log"] == ["bump 2", "double"]

    history = (await api("GET", "executions", run_id, "checkpoints")).body["items"]
    # (Which steps are stored depends on durability; the final one always is.)
    assert history and history[0]["next"] == []
    # One checkpoint's whole state (what the fork dialog edits) is read in a runner too.
    newest = await api("GET", "executions", run_id, "checkpoints", history[0]["checkpoint_id"])
    assert newest.code == 200 and newest.body["values"]["count"] == run["final_state"]["count"]
    missing = await api("GET", "executions", run_id, "checkpoints", "no-such-checkpoint")
    assert missing.code == 404
    # "Test node" on a script's node: its input in the run and the node itself are
    # read and run in a runner (double received count 2 there).
    tested = await api("POST", "workflows", wid, "nodes", "double", "test", json_body={})
    assert tested.code == 200, tested.body
    assert (tested.body["output"], tested.body["error"]) == ({"count": 4, "log": ["double"]}, None)
    assert tested.body["state_source"]["kind"] == "checkpoint"
    given = {"state": {"count": 5, "log": ["x"]}}
    tested = await api("POST", "workflows", wid, "nodes", "bump", "test", json_body=given)
    assert tested.body["output"] == {"count": 6, "log": ["bump 6"]}, tested.body
    unknown = await api("POST", "workflows", wid, "nodes", "triple", "test", json_body=given)
    assert unknown.code == 404
    assert unknown.error["message"] == "the workflow has no node 'triple' (nodes: bump, double)"
    # A fork patch naming a key the script's state lacks is refused by name: LangGraph
    # would drop it without a word. Only the script knows its keys; a runner reads them.
    typo = {"checkpoint_id": history[0]["checkpoint_id"], "state_patch": {"cuont": 10}}
    refused = await api("POST", "executions", run_id, "rerun", json_body=typo)
    assert refused.code == 422, refused.body
    assert refused.error["details"][0]["field"] == "state_patch.cuont"
    assert refused.error["message"] == (
        "error: state_patch.cuont: the workflow's state has no key 'cuont' (its keys: count, log)"
    )
    # Fork from a checkpoint inside the run (which ones exist depends on durability),
    # else re-run from the start.
    inside = [c for c in history if c["next"] in (["bump"], ["double"])]
    body: dict[str, Any] = {}
    expected = 4
    if inside:
        body = {"checkpoint_id": inside[-1]["checkpoint_id"], "state_patch": {"count": 10}}
        expected = 11 if inside[-1]["next"] == ["bump"] else 20  # past 5 it ends; else doubles
    fork = await api("POST", "executions", run_id, "rerun", json_body=body)
    again = await wait_run(fork.body["execution_id"], timeout=90)
    assert again["status"] == "succeeded", again["error"]
    assert again["final_state"]["count"] == expected
    assert module not in sys.modules, "the server process executed the script"
