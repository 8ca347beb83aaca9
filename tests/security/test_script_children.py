"""A looping script's build child never outlives the server that started it.

The server kills a child past its deadline; here the server itself is killed
first (a crash, an OOM kill, ``kill -9`` of Jupyter), which once left the child
spinning on a core for ever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

LOOPING_IMPORT = """
from orcheo_jupyter.ingest import AllowList, compile_script
from orcheo_jupyter.ingest.sandbox import build_index

compiled = compile_script("while True:\\n    pass\\n")
print("building", flush=True)
build_index(compiled, None, allow=AllowList(), timeout=600)
"""

WORKER = "orcheo_jupyter.ingest.worker"


def _spinning_child(server: psutil.Process, deadline: float) -> psutil.Process:
    """The fork server's child that runs the job, once it uses the CPU."""
    while time.monotonic() < deadline:
        for proc in server.children(recursive=True):
            try:
                job = WORKER in " ".join(proc.cmdline()) and proc.parent().pid != server.pid
                if job and proc.cpu_times().user > 0.5:
                    return proc
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.1)
    raise AssertionError("the script's child never started looping")


def test_a_killed_server_takes_its_looping_script_child_with_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen(
        [sys.executable, "-c", LOOPING_IMPORT], stdout=subprocess.PIPE, env=env, cwd=tmp_path
    )
    try:
        assert server.stdout is not None and server.stdout.readline() == b"building\n"
        me = psutil.Process(server.pid)
        child = _spinning_child(me, time.monotonic() + 60)
        fork_server = child.parent()
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        _gone, alive = psutil.wait_procs([child, fork_server], timeout=10)
        assert not alive, f"still running after the server was killed: {alive}"
    finally:
        if server.poll() is None:
            server.kill()
