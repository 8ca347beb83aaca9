"""Start-up cost: importing orcheo_jupyter, ``%load_ext`` and enabling the server
extension load neither LangGraph nor LangChain (nor the canvas's anywidget).

Jupyter imports the package at every start to find its extensions, and every
kernel that runs ``%load_ext orcheo_jupyter`` pays for what it imports. Each check
runs in a fresh interpreter and reads ``sys.modules``, so a new top-level import
anywhere on these paths fails here instead of quietly slowing every start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

#: Top-level packages a start must not load: they cost ~0.6 s and ~60 MB.
HEAVY = (
    "langgraph",
    "langgraph_sdk",
    "langchain",
    "langchain_core",
    "langsmith",
    "anywidget",
    "opentelemetry",  # tracing loads it only when OTEL_TRACES_EXPORTER/ORCHEO_TRACE_STORE say so
)

_REPORT = textwrap.dedent(
    """
    import json, sys
    heavy = {heavy!r}
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
    """
)


def _last_line_of(script: str, tmp_path: Path) -> Any:
    """Run ``script`` in a fresh interpreter with its own Jupyter dirs; its last line, as JSON."""
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "ORCHEO_DATA_DIR": str(tmp_path / "orcheo"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code``."""
    script = textwrap.dedent(code) + _REPORT.format(heavy=HEAVY)
    loaded: list[str] = _last_line_of(script, tmp_path)
    return loaded


def test_importing_the_package_loads_nothing_heavy(tmp_path: Path) -> None:
    loaded = _loaded_after(
        """
        import orcheo_jupyter
        assert orcheo_jupyter.__version__
        orcheo_jupyter._jupyter_server_extension_points()
        orcheo_jupyter._jupyter_labextension_paths()
        """,
        tmp_path,
    )
    assert loaded == []


def test_public_names_still_load_on_first_use(tmp_path: Path) -> None:
    loaded = _loaded_after(
        """
        import orcheo_jupyter
        from orcheo_jupyter import DocumentError, Workflow, WorkflowDocument, resume
        assert Workflow.__name__ == "Workflow" and callable(resume)
        assert "Workflow" in dir(orcheo_jupyter)
        orcheo_jupyter.runtime.build_graph  # the runtime's names load LangGraph on demand
        """,
        tmp_path,
    )
    assert "langgraph" in loaded  # the check above can see LangGraph when it is there
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import orcheo_jupyter

        orcheo_jupyter.nope  # noqa: B018


def test_load_ext_registers_the_magics_without_loading_langgraph(tmp_path: Path) -> None:
    loaded = _loaded_after(
        """
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "orcheo_jupyter")
        magics = shell.magics_manager.magics
        assert "orcheo" in magics["cell"] and "orcheo" in magics["line"], magics
        """,
        tmp_path,
    )
    assert loaded == []


def test_enabling_the_server_extension_loads_no_langgraph(tmp_path: Path) -> None:
    """The extension is found, linked, configured and its routes are served."""
    loaded = _loaded_after(
        """
        from jupyter_server.serverapp import ServerApp
        app = ServerApp()
        app.initialize(argv=[
            "--ServerApp.jpserver_extensions={'orcheo_jupyter': True}",
            "--ServerApp.open_browser=False", "--ServerApp.port=0", "--allow-root",
        ])
        [orcheo] = app.extension_manager.extension_apps["orcheo_jupyter"]
        assert type(orcheo).__name__ == "OrcheoApp"
        patterns = [spec[0] for spec in orcheo.handlers]
        assert any(p.endswith("/orcheo/api/workflows") for p in patterns), patterns
        assert any("/orcheo/hooks/" in p for p in patterns), patterns
        """,
        tmp_path,
    )
    assert loaded == []


def test_route_handlers_load_on_their_first_request(tmp_path: Path) -> None:
    """Enabling the extension registers every route but imports no handler module."""
    script = textwrap.dedent(
        """
        import json, sys
        from jupyter_server.serverapp import ServerApp
        from orcheo_jupyter.server.routes import routes
        app = ServerApp()
        app.initialize(argv=[
            "--ServerApp.jpserver_extensions={'orcheo_jupyter': True}",
            "--ServerApp.open_browser=False", "--ServerApp.port=0", "--allow-root",
        ])
        modules = sorted({r.target.rsplit(".", 1)[0] for r in routes()})
        def loaded():
            return [m for m in modules if f"orcheo_jupyter.server.{m}" in sys.modules]
        before = loaded()
        routes()[0].handler  # what a first request to /orcheo/api/workflows does
        print(json.dumps([before, loaded(), modules]))
        """
    )
    before, after, modules = _last_line_of(script, tmp_path)
    assert len(modules) >= 10  # workflows, executions, credentials, triggers, hooks, ws, ...
    assert before == []
    assert "workflows" in after


def test_listing_and_showing_runs_from_the_cli_loads_no_langgraph(tmp_path: Path) -> None:
    """``runs`` and ``show`` read the store alone: they answer in a fraction of a second."""
    document = tmp_path / "one.orcheo.json"
    node = {"kind": "builtin", "id": "n", "type": "SetVariableNode"}
    ir = {"nodes": [{**node, "config": {"variables": {"a": 1}}}], "entrypoint": "n"}
    document.write_text(json.dumps({"name": "one", "graph": {"format": "frozen-ir", "ir": ir}}))
    ran = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "run", str(document)],
        capture_output=True,
        text=True,
        env={**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "orcheo")},  # as _last_line_of
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    loaded = _last_line_of(
        textwrap.dedent(
            """
            import contextlib, io, json, sys
            from orcheo_jupyter.cli import main

            def answer(*argv):
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    assert main(list(argv)) == 0
                return json.loads(out.getvalue())

            [run] = answer("runs", "--json")["runs"]
            shown = answer("show", run["id"], "--events")
            assert shown["status"] == "succeeded", shown
            events = [e["type"] for e in shown["events"]]
            assert events[0] == "run_started" and events[-1] == "run_finished", events
            """
        )
        + _REPORT.format(heavy=HEAVY),
        tmp_path,
    )
    assert loaded == []
