"""Binder's steps, reproduced: a fresh environment from ``binder/``, ``postBuild``, JupyterLab.

repo2docker builds from ``binder/environment.yml`` (Python 3.11, Node.js, the pip list)
and then runs ``binder/postBuild`` in the checkout. Here: this machine's Python 3.11 and
Node.js stand in for the conda packages, a fresh venv gets the pip list, and postBuild
runs unchanged in a copy of the checkout (tracked files). One difference: the copy
carries the working tree's built canvas bundles, so the install does not re-run npm
(on Binder it does, from a clean clone; `make bundles` covers that build here).

Then JupyterLab starts from that venv as Binder starts it, the orcheo lab and server
extensions answer, and every demo notebook executes on that venv's kernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.export import fresh_venv
from tests.server.headless import Headless

REPO = fresh_venv.REPO
BUILT = ("labextension", "orcheo_jupyter/widget/static")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.timeout(900)

RUN_NOTEBOOKS = """\
import json, sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

report = {}
for path in sorted(Path(sys.argv[1]).glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        report[path.name] = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
                             for o in c.get("outputs", []) if o.output_type == "error"]
    except Exception as exc:
        report[path.name] = [str(exc)[-1500:]]
print(json.dumps(report))
"""


def _checkout(dest: Path) -> Path:
    """What Binder clones (tracked files), plus the built canvas bundles, fresh."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    now = time.time()
    for built in BUILT:
        if not (REPO / built).is_dir():
            pytest.skip(f"{built}/ is not built (make bundles builds it)")
        shutil.copytree(REPO / built, dest / built)
        for path in (dest / built).rglob("*"):
            os.utime(path, (now, now))
    return dest


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(venv bin, checkout) after Binder's build steps."""
    root = tmp_path_factory.mktemp("binder")
    env_file = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    conda = [d for d in env_file["dependencies"] if isinstance(d, str)]
    (pip_list,) = [d["pip"] for d in env_file["dependencies"] if isinstance(d, dict)]
    assert "python=3.11" in conda and sys.version_info[:2] == (3, 11)
    assert any(d.startswith("nodejs") for d in conda)
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Binder gets Node.js from environment.yml; this machine has none")
    checkout = _checkout(root / "repo")
    bin_dir = fresh_venv.create(root / "venv")
    fresh_venv.pip_install(bin_dir, *pip_list)
    env = {
        **os.environ,
        **fresh_venv.jupyter_dirs(root / "build"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PIP_NO_COMPILE": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    built = fresh_venv.run(["bash", str(checkout / "binder" / "postBuild")], env=env, cwd=checkout)
    assert "postBuild: orcheo-jupyter is installed" in built.stdout
    yield bin_dir, checkout


def test_postbuild_installs_the_lab_and_server_extensions(binder: tuple[Path, Path]) -> None:
    bin_dir, checkout = binder
    env = {**os.environ, **fresh_venv.jupyter_dirs(checkout.parent / "list")}
    listed = fresh_venv.run([str(bin_dir / "jupyter"), "labextension", "list"], env=env)
    lines = [ANSI.sub("", line).split() for line in (listed.stdout + listed.stderr).splitlines()]
    ours = [line for line in lines if line and line[0] == "orcheo-jupyter"]
    assert ours and ours[0][1:4] == ["v0.1.0", "enabled", "OK"], ours


def test_jupyterlab_serves_the_extension_and_runs_every_demo_notebook(
    binder: tuple[Path, Path],
) -> None:
    bin_dir, checkout = binder
    server: Headless = fresh_venv.start_server(
        bin_dir, checkout.parent / "lab", "lab", f"--ServerApp.root_dir={checkout}"
    )
    try:
        nodes = httpx.get(f"{server.api}/nodes", headers=server.headers).json()
        assert "SetVariableNode" in {n["type"] for n in nodes["items"]}
        # The page Binder opens (urlpath=lab/tree/notebooks/quickstart.ipynb) loads our plugin.
        page = httpx.get(
            f"{server.url}/lab/tree/notebooks/quickstart.ipynb", headers=server.headers
        )
        assert page.status_code == 200
        config = json.loads(
            re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page.text, re.S).group(1)  # type: ignore[union-attr]
        )
        assert "orcheo-jupyter" in {e["name"] for e in config["federated_extensions"]}

        env = {
            **os.environ,
            **fresh_venv.jupyter_dirs(checkout.parent / "kernels"),
            "ORCHEO_DATA_DIR": str(server.data_dir),  # kernels and Lab share one store
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        }
        env.pop("VIRTUAL_ENV", None)
        ran = fresh_venv.run(
            [str(bin_dir / "python"), "-c", RUN_NOTEBOOKS, str(checkout / "notebooks")],
            env=env,
            timeout=700,
        )
        report = json.loads(ran.stdout.strip().splitlines()[-1])
        expected = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
        assert sorted(report) == expected
        assert {name: errors for name, errors in report.items() if errors} == {}

        # What the notebooks saved is what Lab's Orcheo sidebar lists.
        listed = httpx.get(
            f"{server.api}/workflows", headers=server.headers, params={"limit": 200}
        ).json()
        assert {"greet", "nightly", "expense", "shouter"} <= {w["name"] for w in listed["items"]}
    finally:
        server.stop()
