"""A process killed mid-run; the run resumes from its checkpoint in a new process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import linear_doc


def _cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_killed_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    log, gate, started = tmp_path / "log", tmp_path / "go", tmp_path / "b-started"
    doc = linear_doc("a")
    ir = doc["graph"]["ir"]
    ir["nodes"] = [
        {
            "kind": "code",
            "id": "a",
            "config": {"log": str(log)},
            "injected": ["log"],
            "body": "with open(self.log, 'a') as f:\n    f.write('a;')\nreturn {'a': 1}",
        },
        {
            "kind": "code",
            "id": "b",
            "config": {"log": str(log), "gate": str(gate), "started": str(started)},
            "injected": ["log", "gate", "started"],
            "body": (
                "import os, time\n"
                "with open(self.log, 'a') as f:\n    f.write('b;')\n"
                "open(self.started, 'w').close()\n"
                "while not os.path.exists(self.gate):\n    time.sleep(0.05)\n"
                "return {'b': state['results']['a']['a'] + 1}"
            ),
        },
    ]
    ir["edges"] = [
        {"source": "__start__", "target": "a"},
        {"source": "a", "target": "b"},
        {"source": "b", "target": "__end__"},
    ]
    path = tmp_path / "crash.orcheo.json"
    path.write_text(json.dumps(doc))
    env = {**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")}
    env.pop("ORCHEO_DURABILITY", None)  # the default policy must be crash-resumable

    child = subprocess.Popen(
        [sys.executable, "-m", "orcheo_jupyter", "run", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "node b never started"
        time.sleep(0.05)
    time.sleep(0.5)  # let the checkpoint after node a reach the file
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    runs = json.loads(_cli("runs", "--json", env=env).stdout)["runs"]
    assert [r["status"] for r in runs] == ["running"]
    run_id = runs[0]["id"]

    gate.touch()
    resumed = _cli("resume", run_id, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"] == {"a": {"a": 1}, "b": {"b": 2}}
    assert log.read_text() == "a;b;b;"  # a ran once: it came back from the checkpoint

    shown = json.loads(_cli("show", run_id, "--events", env=env).stdout)
    assert shown["status"] == "succeeded"
    seqs = [e["seq"] for e in shown["events"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e["type"] for e in shown["events"]][-4:] == [
        "resumed",
        "node_started",
        "node_finished",
        "run_finished",
    ]
