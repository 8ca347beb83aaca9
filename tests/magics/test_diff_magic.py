"""``%orcheo diff NAME A [B]``: what a re-run cell changed, printed in the notebook."""

from __future__ import annotations

from typing import Any

from .conftest import Shell
from .test_magics import greet


def test_diff_of_two_versions_and_of_the_current_one(shell: Shell, capsys: Any) -> None:
    shell.ok(greet())
    shell.ok(greet().replace("Hello", "Hi"))
    capsys.readouterr()
    shell.ok("%orcheo diff greet 1 2")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "greet: version 1 → version 2: 1 node changed"
    assert "~ node hello" in out
    assert "config.variables.message: 'Hello {{inputs.name}}!' → 'Hi {{inputs.name}}!'" in out
    assert shell.ns["_orcheo_diff"]["nodes"]["changed"][0]["id"] == "hello"
    shell.ok("%orcheo diff greet 2")
    assert "no changes" in capsys.readouterr().out


def test_diff_of_a_missing_version_is_one_short_error(shell: Shell, capsys: Any) -> None:
    shell.ok(greet())
    error = shell.cell("%orcheo diff greet 1 9")
    assert error is not None and "version 9" in str(error)
