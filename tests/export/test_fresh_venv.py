"""The exported bundle in a fresh venv: only its requirements and this package, no JupyterLab.

One venv for the module: the wheel of this working tree plus ``requirements.txt`` from
the bundle the demo notebook wrote. The CLI runner and ``jupyter orcheo --bundle`` both
finish with the notebook run's final state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.export import fresh_venv
from tests.export.conftest import NotebookRun

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def deploy_venv(demo_run: NotebookRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("deploy-venv")
    wheel = fresh_venv.build_wheel(root / "wheel")
    bin_dir = fresh_venv.create(root / "venv")
    fresh_venv.pip_install(bin_dir, str(wheel), "-r", str(demo_run.bundle / "requirements.txt"))
    yield bin_dir


def _python(bin_dir: Path, code: str) -> str:
    return fresh_venv.run([str(bin_dir / "python"), "-c", code]).stdout.strip()


def test_the_venv_has_the_pinned_requirements_and_no_jupyterlab(
    deploy_venv: Path, demo_run: NotebookRun
) -> None:
    pins = [
        line.split("#")[0].strip()
        for line in (demo_run.bundle / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert [p.split("==")[0] for p in pins] == ["orcheo-jupyter", "python-dateutil"]
    installed = json.loads(
        _python(
            deploy_venv,
            "import importlib.metadata as m, importlib.util as u, json; print(json.dumps("
            "{'dists': {d: m.version(d) for d in ('orcheo-jupyter', 'python-dateutil')},"
            " 'jupyterlab': u.find_spec('jupyterlab') is not None,"
            " 'notebook': u.find_spec('notebook') is not None}))",
        )
    )
    assert installed == {
        "dists": dict(p.split("==") for p in pins),
        "jupyterlab": False,
        "notebook": False,
    }


def test_cli_run_in_the_fresh_venv_ends_with_the_notebook_runs_state(
    deploy_venv: Path, demo_run: NotebookRun, tmp_path: Path
) -> None:
    env = {**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")}
    env.pop("VIRTUAL_ENV", None)
    proc = fresh_venv.run(
        [
            str(deploy_venv / "python"),
            "-m",
            "orcheo_jupyter",
            "run",
            str(demo_run.bundle / "nightly.orcheo.json"),
        ],
        env=env,
        cwd=tmp_path,
    )
    # No --inputs: the defaults come from the notebook's parameters cell.
    assert json.loads(proc.stdout) == demo_run.final_state


def test_jupyter_orcheo_bundle_in_the_fresh_venv_serves_the_workflow(
    deploy_venv: Path, demo_run: NotebookRun, tmp_path: Path
) -> None:
    server = fresh_venv.start_server(
        deploy_venv, tmp_path / "server", "orcheo", "--bundle", str(demo_run.bundle)
    )
    try:
        listed = httpx.get(f"{server.api}/workflows", headers=server.headers).json()
        assert [(w["id"], w["name"]) for w in listed["items"]] == [
            (demo_run.workflow_id, "nightly")
        ]
        started = httpx.post(
            f"{server.api}/workflows/{demo_run.workflow_id}/execute",
            headers=server.headers,
            json={"inputs": demo_run.inputs},
        )
        assert started.status_code == 202, started.text
        done = fresh_venv.wait_run(server, started.json()["execution_id"])
        assert done["status"] == "succeeded", done
        assert done["final_state"] == demo_run.final_state
        triggers = httpx.get(
            f"{server.api}/workflows/{demo_run.workflow_id}/triggers", headers=server.headers
        ).json()
        (cron,) = triggers["triggers"]
        assert cron["type"] == "cron" and cron["next_fire_at"] is not None
        assert cron["config"]["inputs"] == demo_run.inputs  # the parameters, as cron inputs
    finally:
        assert server.stop() == 0
