"""The command line: exit codes and one-line errors, never tracebacks or changed data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli, cli_env, write
from tests.conftest import code_doc, linear_doc


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def stored_runs(env: dict[str, str]) -> int:
    return int(json.loads(cli(env, "runs", "--json").stdout)["total"])


def test_run_prints_final_state(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(
        env, "run", write(tmp_path, "a.orcheo.json", linear_doc("a")), "--inputs", '{"x": 1}'
    )
    assert proc.returncode == 0
    state = json.loads(proc.stdout)
    assert state["results"] == {"a": {"me": "a"}} and state["inputs"] == {"x": 1}


def test_inputs_from_file(env: dict[str, str], tmp_path: Path) -> None:
    inputs = write(tmp_path, "in.json", {"x": 2})
    proc = cli(env, "run", write(tmp_path, "a.json", linear_doc("a")), "--inputs", f"@{inputs}")
    assert json.loads(proc.stdout)["inputs"] == {"x": 2}


@pytest.mark.parametrize(
    ("content", "inputs", "code", "message"),
    [
        ('{"name": "x", "graph": ', "{}", 1, "error: invalid JSON at line 1 column 24"),
        ({"name": "x"}, "{}", 1, "error: graph: required field is missing"),
        (linear_doc("a"), '{"x": ', 2, "error: --inputs is not valid JSON (line 1 column 7"),
        (linear_doc("a"), "[1]", 2, "error: --inputs must be a JSON object, got list"),
        (
            {
                "name": "x",
                "graph": {
                    "format": "frozen-ir",
                    "ir": {
                        "nodes": [
                            {
                                "kind": "builtin",
                                "id": "n",
                                "type": "SetVariableNode",
                                "config": {"variables": 5},
                            }
                        ],
                        "entrypoint": "n",
                    },
                },
            },
            "{}",
            1,
            "error: node 'n' config.variables: Input should be a valid dictionary",
        ),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, content: object, inputs: str, code: int, message: str
) -> None:
    cli(env, "run", write(tmp_path, "ok.json", linear_doc("a")))
    before = stored_runs(env)
    proc = cli(env, "run", write(tmp_path, "bad.json", content), "--inputs", inputs)
    assert proc.returncode == code
    assert proc.stderr.startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert stored_runs(env) == before


def test_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "run", str(tmp_path / "nope.json"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: no such file: {tmp_path / 'nope.json'}"


def test_failed_run_names_node_and_cause(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "run", write(tmp_path, "f.json", code_doc("return {}['k']", node_id="boom")))
    assert proc.returncode == 1
    assert "node 'boom' failed (line 1 of its code): KeyError: 'k'" in proc.stderr


def test_validate(env: dict[str, str], tmp_path: Path) -> None:
    ok = cli(env, "validate", write(tmp_path, "ok.json", linear_doc("a")))
    assert ok.returncode == 0 and ok.stdout.strip().endswith(": ok")
    doc = linear_doc("a", "b")
    doc["graph"]["ir"]["nodes"][1]["type"] = "Nope"
    doc["graph"]["ir"]["edges"].append({"source": "a", "target": "ghost"})
    bad = cli(env, "validate", write(tmp_path, "bad.json", doc))
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "error: node 'b' type: unknown node type 'Nope'",
        "error: edges[3].target: edge target 'ghost' is not a node",
    ]
    # What the server would refuse to store, the trigger list included.
    timed = {**linear_doc("a"), "triggers": [{"type": "cron", "config": {"expression": "{{x}}"}}]}
    late = cli(env, "validate", write(tmp_path, "late.json", timed))
    assert late.returncode == 1
    assert late.stdout.splitlines() == [
        "error: triggers[0].config.expression: trigger settings are read before any run: "
        "{{templates}} cannot work"
    ]


def test_interrupt_resume_and_history(env: dict[str, str], tmp_path: Path) -> None:
    path = write(
        tmp_path, "ask.json", code_doc("return {'name': interrupt('who?')}", node_id="ask")
    )
    first = cli(env, "run", path)
    assert first.returncode == 3
    assert "is waiting for input" in first.stderr
    run_id = first.stderr.split()[1]
    resumed = cli(env, "resume", run_id, "--value", '"Ada"')
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"] == {"ask": {"name": "Ada"}}
    listing = cli(env, "runs").stdout
    assert run_id in listing and "succeeded" in listing
    shown = json.loads(cli(env, "show", run_id).stdout)
    assert [t.split("@")[0] for t in shown["transitions"]] == [
        "pending",
        "running",
        "interrupted",
        "running",
        "succeeded",
    ]
    again = cli(env, "resume", run_id, "--value", "1")
    assert again.returncode == 2 and "only a run left running can be recovered" in again.stderr
    assert cli(env, "show", "nope").stderr.strip() == "error: run 'nope' not found"


def test_nodes_catalog_json(env: dict[str, str]) -> None:
    catalog = json.loads(cli(env, "nodes", "--json").stdout)
    entry = next(e for e in catalog if e["type"] == "SetVariableNode")
    assert set(entry) == {"type", "category", "description", "trigger", "config_schema"}
    assert entry["config_schema"]["properties"]["variables"]["type"] == "object"


def test_diff_of_two_files_as_text_and_json(env: dict[str, str], tmp_path: Path) -> None:
    old = write(tmp_path, "old.orcheo.json", linear_doc("a", "b"))
    new = write(tmp_path, "new.orcheo.json", linear_doc("a", "b", "c"))
    proc = cli(env, "diff", old, new)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{old} → {new}: 1 node added, 2 edges added, 1 edge removed"
    assert "+ node c (SetVariableNode)" in lines and "- edge b → __end__" in lines
    as_json = json.loads(cli(env, "diff", old, new, "--json").stdout)
    assert [n["id"] for n in as_json["nodes"]["added"]] == ["c"]


def test_diff_of_a_bad_reference_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "diff", "nothing@two", write(tmp_path, "x.orcheo.json", linear_doc("a")))
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: 'nothing@two': expected a file or WORKFLOW@VERSION (a whole number)\n"
    )


def test_test_one_node_on_a_state_and_on_a_run(env: dict[str, str], tmp_path: Path) -> None:
    doc = code_doc("return state['results']['a']['me'].upper()", node_id="up", name="t")
    doc["graph"]["ir"]["nodes"].insert(
        0,
        {
            "kind": "builtin",
            "id": "a",
            "type": "SetVariableNode",
            "config": {"variables": {"me": "x"}},
        },
    )
    doc["graph"]["ir"]["entrypoint"] = "a"
    doc["graph"]["ir"]["edges"] = [
        {"source": "a", "target": "up"},
        {"source": "up", "target": "__end__"},
    ]
    path = write(tmp_path, "t.orcheo.json", doc)
    given = cli(env, "test", path, "up", "--state", '{"results": {"a": {"me": "hi"}}}')
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout)["output"] == "HI"
    run = cli(env, "run", path, "--run-id")
    run_id = run.stderr.split()[1]
    from_run = cli(env, "test", path, "up", "--run", run_id)
    assert json.loads(from_run.stdout)["output"] == "X"
    failing = cli(env, "test", path, "up", "--state", "{}")
    assert failing.returncode == 1
    assert json.loads(failing.stdout)["error"].startswith("node 'up' failed (line 1 of its code)")
    assert stored_runs(env) == 1  # tests store no run
    neither = cli(env, "test", path, "up")
    assert neither.returncode == 2 and "give --run RUN_ID" in neither.stderr


def test_break_before_then_fork_with_a_state_patch(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, "chain.orcheo.json", linear_doc("a", "b", "c"))
    paused = cli(env, "run", path, "--break-before", "c", "--run-id")
    assert paused.returncode == 3, paused.stderr  # waiting: the breakpoint
    run_id = paused.stderr.split()[1]
    assert f"run {run_id} paused at a breakpoint before c; results so far: " in paused.stderr
    assert f"continue with: orcheo-jupyter resume {run_id}" in paused.stderr
    checkpoints = json.loads(cli(env, "checkpoints", run_id).stdout)
    at_c = next(c for c in checkpoints if c["next"] == ["c"])
    fork = cli(
        env,
        "rerun",
        run_id,
        "--checkpoint",
        at_c["checkpoint_id"],
        "--state-patch",
        '{"results": {"b": {"me": "patched"}}}',
    )
    assert fork.returncode == 0, fork.stderr
    assert json.loads(fork.stdout)["results"] == {
        "a": {"me": "a"},
        "b": {"me": "patched"},
        "c": {"me": "c"},
    }
    again = cli(env, "rerun", run_id, "--state-patch", "{}")  # an empty patch is no patch
    assert again.returncode == 3  # from the start, with the same breakpoint
    resumed = cli(env, "resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"]["c"] == {"me": "c"}
    refused = cli(env, "rerun", run_id, "--state-patch", '{"x": 1}')
    assert refused.returncode == 2
    assert "--state-patch needs --checkpoint" in refused.stderr


def test_a_paused_script_shows_its_own_state(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A drawn workflow's outputs are under results; a script's state has keys of its own.
    from types import SimpleNamespace

    from orcheo_jupyter.cli import EXIT_INTERRUPTED, _report

    value = {"before": ["double"], "state": {"count": 2, "log": ["bump 2"]}}
    paused = SimpleNamespace(
        id="r1", status="interrupted", interrupt=[{"id": "breakpoint", "value": value}]
    )
    assert _report(paused) == EXIT_INTERRUPTED
    assert capsys.readouterr().err.splitlines()[0] == (
        'run r1 paused at a breakpoint before double; state so far: {"count": 2, "log": ["bump 2"]}'
    )
