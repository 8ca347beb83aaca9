"""Every line number a cell's user sees is a line of that cell, as the notebook numbers it.

The magic's own line is line 1; a code node made from a function carries generated
lines (parameter mapping, injected fields) before its body, yet a run's error cites
the line of the cell where the failing statement was written.
"""

from __future__ import annotations

from typing import Any

from orcheo_jupyter.magics import OrcheoCellError

from .conftest import Shell

CELL = """%%orcheo shout --no-show
# shout the input
def shout(s, *, suffix="!"):
    text = s["inputs"]["text"]
    return text.upper() + suffix + str(int(1 / 0))
workflow.add_node("shout", shout)
workflow.add_edge(START, "shout")
workflow.add_edge("shout", END)
"""


def test_a_code_node_error_cites_the_line_of_the_orcheo_cell(shell: Shell, capsys: Any) -> None:
    shell.ok(CELL)
    error = shell.cell('%orcheo run shout --inputs \'{"text": "hi"}\' -o failed')
    assert isinstance(error, OrcheoCellError)
    # The body runs with two generated lines first (s = state, suffix = self.suffix):
    # the runtime's own count is line 4 of the body, the cell has it on line 5.
    assert "node 'shout' failed at line 5 of the %%orcheo shout cell: ZeroDivisionError" in str(
        error
    )
    assert CELL.split("\n")[4].strip() == "return text.upper() + suffix + str(int(1 / 0))"
    # The stored run keeps the runtime's account, which the canvas editor numbers.
    assert "(line 4 of its code)" in shell.ns["failed"].error
    shown = "\n".join(shell.display.texts())
    assert "at line 5 of the %%orcheo shout cell" in shown


def test_an_edited_body_is_not_mapped_to_the_cell(shell: Shell) -> None:
    shell.ok(CELL)
    # The node's code changed after the cell built it (e.g. on the canvas): its lines
    # no longer match the cell, so the error keeps the code's own line.
    shell.ok("shout.ir.nodes[0].body = 'x = 1\\nreturn 1 / 0'\nshout.notify('document', {})")
    error = shell.cell('%orcheo run shout --inputs \'{"text": "hi"}\'')
    assert isinstance(error, OrcheoCellError)
    assert "node 'shout' failed (line 2 of its code): ZeroDivisionError" in str(error)


def test_builder_errors_count_the_magic_line(shell: Shell) -> None:
    error = shell.cell(
        '%%orcheo bad --no-show\nworkflow.add_node("a", "SetVariableNode")\n'
        'workflow.add_edge(START, "a")\nworkflow.add_edge("a", "c")\n'
    )
    assert isinstance(error, OrcheoCellError)
    assert error.lines == [4]  # workflow.add_edge("a", "c") is the cell's fourth line
