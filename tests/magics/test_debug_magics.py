"""The notebook debug loop: %orcheo debug a failing node, fix it, %orcheo push, run again."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter import spec

from .conftest import Shell

PRICES = """%%orcheo prices --no-show
workflow.add_node("load", "SetVariableNode", variables={"items": [{"price": 3}, {"price": 4}]})
workflow.add_code_node(
    "total", "items = state['results']['load']['items']\\nreturn sum(i['cost'] for i in items)"
)
workflow.add_edge(START, "load")
workflow.add_edge("load", "total")
workflow.add_edge("total", END)
"""


def _failed_run(shell: Shell) -> str:
    shell.ok(PRICES)
    shell.cell("%orcheo run prices -o first --quiet")
    result = shell.ns["first"]
    assert result.status == "failed"
    assert "node 'total' failed (line 2 of its code): KeyError: 'cost'" in result.error
    return str(result.id)


def test_debug_inserts_the_node_with_its_input_and_push_stores_the_fix(
    shell: Shell, capsys: Any
) -> None:
    run_id = _failed_run(shell)
    capsys.readouterr()
    shell.ok(f"%orcheo debug {run_id} total")
    assert f"`state` holds its input in run {run_id[:8]}" in capsys.readouterr().out
    cell = shell.ip.rl_next_input
    shell.ip.rl_next_input = None
    assert f"state = %orcheo state {run_id} total" in cell
    assert "def total(self, state, config):\n    items = state['results']['load']['items']" in cell
    assert shell.ns["state"]["results"]["load"] == {"items": [{"price": 3}, {"price": 4}]}

    # The user runs the inserted cell: it fails the same way, on the run's state.
    error = shell.cell(cell)
    assert isinstance(error, KeyError) and error.args == ("cost",)
    # ...fixes the function and runs the cell again: it works on that state.
    shell.ok(cell.replace("i['cost']", "i['price']"))
    assert shell.ns["_"] == 7

    capsys.readouterr()
    shell.ok("%orcheo push prices total")
    out = capsys.readouterr().out
    assert "pushed 'total' to prices.orcheo.json · version 2" in out
    assert "~ node total" in out and "+  return sum(i['price'] for i in items)" not in out
    assert "-return sum(i['cost'] for i in items)" in out
    stored = spec.load(shell.folder / "prices.orcheo.json")
    assert stored.graph.ir.nodes[1].body.endswith("return sum(i['price'] for i in items)")

    shell.ok("%orcheo run prices -o second --quiet")
    assert shell.ns["second"].status == "succeeded"
    assert shell.ns["second"].results["total"] == 7


def test_test_and_push_a_builtin_nodes_config(shell: Shell, capsys: Any) -> None:
    run_id = _failed_run(shell)
    shell.ok(f"%orcheo debug {run_id} load")
    cell = shell.ip.rl_next_input
    assert "load_config = {" in cell
    assert "%orcheo test prices load --state-var state --config-var load_config" in cell
    capsys.readouterr()
    shell.ok(cell.replace('"price": 4', '"price": 5'))
    out = capsys.readouterr().out
    assert out.startswith("✓ load · ")
    assert shell.ns["_orcheo_test"]["output"] == {"items": [{"price": 3}, {"price": 5}]}
    shell.ok("%orcheo push prices load")
    assert "config.variables.items" in capsys.readouterr().out

    # test without a state: the input of the latest run that reached the node
    shell.ok("%orcheo test prices total")
    assert capsys.readouterr().out.startswith("✗ total failed · ")
    assert "KeyError: 'cost'" in shell.ns["_orcheo_test"]["error"]


def test_test_without_a_run_that_reached_the_node_says_how_to_make_one(shell: Shell) -> None:
    shell.ok(PRICES)
    error = shell.cell("%orcheo test prices total")
    assert str(error) == (
        "no run of 'prices' reached node 'total' yet: run it first, "
        "or pass --run RUN_ID or --state-var VAR"
    )
    run_id = _failed_run(shell)
    error = shell.cell(f"%orcheo test prices total --run {run_id}")
    assert error is None


def test_push_refuses_a_changed_signature_and_a_missing_variable(shell: Shell) -> None:
    run_id = _failed_run(shell)
    shell.ok("def total(state):\n    return 1")
    error = shell.cell("%orcheo push prices total")
    assert error is not None and "keep the code node's signature" in str(error)
    error = shell.cell("%orcheo push prices load")
    assert error is not None and "no variable named 'load_config'" in str(error)
    error = shell.cell(f"%orcheo debug {run_id} ghost")
    assert error is not None and "no node 'ghost'" in str(error)


CHAIN = """%%orcheo chain --no-show
workflow.add_node("a", "SetVariableNode", variables={"x": 2})
workflow.add_code_node("b", "return state['results']['a']['x'] * 10")
workflow.add_code_node("c", "return state['results']['b'] + 1")
workflow.add_edge(START, "a")
workflow.add_edge("a", "b")
workflow.add_edge("b", "c")
workflow.add_edge("c", END)
"""


def paused_view(shell: Shell) -> Any:
    from orcheo_jupyter.magics.display import RunView

    view = RunView("chain")
    view.finish(shell.ns["paused"].record)
    return view


def test_breakpoints_pause_and_resume_continues_without_a_value(shell: Shell) -> None:
    shell.ok(CHAIN)
    shell.cell("%orcheo run chain --break-before c -o paused --quiet")
    paused = shell.ns["paused"]
    assert paused.status == "interrupted"
    value = paused.record.interrupt[0]["value"]
    assert value["before"] == ["c"] and value["state"]["results"]["b"] == 20
    shown = repr(paused_view(shell))
    assert "breakpoint: paused before c" in shown
    assert f"answer with: %orcheo resume {paused.id}\n" in shown + "\n"
    shell.cell(f"%orcheo resume {paused.id} -o done --quiet")
    assert shell.ns["done"].status == "succeeded"
    assert shell.ns["done"].results["c"] == 21


def test_rerun_forks_from_a_checkpoint_with_a_patch(shell: Shell) -> None:
    shell.ok(CHAIN)
    shell.cell("%orcheo run chain --break-before c -o first --quiet")
    first = shell.ns["first"]  # paused before c: its checkpoint there is stored
    from orcheo_jupyter import local
    from orcheo_jupyter.runtime import background

    async def checkpoints() -> list[dict[str, Any]]:
        return await (await local.executor()).checkpoints(first.id)

    before_c = next(c for c in background.run(checkpoints()) if c["next"] == ["c"])
    shell.ok(
        f"%orcheo rerun {first.id} --checkpoint {before_c['checkpoint_id']} "
        """--patch '{"results": {"b": 100}}' -o forked --quiet"""
    )
    forked = shell.ns["forked"]
    assert forked.status == "succeeded" and forked.results["c"] == 101
    assert forked.record.parent_run_id == first.id
