"""A real JupyterLab in a subprocess, isolated in temp dirs (browser tests, benchmarks).

Everything the server writes (config, data, runtime files, IPython profile, the
orcheo store) lives under one temp dir; the news toast is switched off with a
settings override so it never covers what a test clicks.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    home: Path
    process: subprocess.Popen[bytes]
    log: Path

    def page_url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}reset&token={self.token}"

    def open(self, page: Any, path: str | None = None) -> None:
        """Show JupyterLab in ``page`` as a fresh ``?reset`` load shows it: the default
        layout, with ``path`` open (else the launcher), and a new user's empty browser
        storage.

        A page that has this Lab loaded already is reset in place (every main-area tab
        closed, dialogs and toasts dismissed, the side panels as at start): that costs
        0.4 s where a load costs 4-5 s and 5-8 CPU-seconds of Chromium and the server.
        Either way it waits until Lab has restored its layout: until then Lab moves the
        focus, so keys a test types into a dialog could land elsewhere (a credential
        dialog was once submitted without the secret typed into it).
        """
        target = f"lab/tree/{path}" if path else "lab"
        if page.url.startswith(self.url) and page.evaluate("() => !!window.jupyterapp"):
            self._reset(page)
            page.evaluate(_OPEN, path)
        else:
            page.goto(self.page_url(target))
        page.wait_for_function("() => window.jupyterapp", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored")
        if path is None:
            page.wait_for_selector(".jp-LauncherCard", timeout=60_000)

    def _reset(self, page: Any) -> None:
        for _ in range(10):  # a dialog may open another (an unsaved-changes question)
            if not page.locator(".jp-Dialog").count():
                break
            page.keyboard.press("Escape")
            page.wait_for_timeout(50)
        page.evaluate(_RESET)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API with the token (tests' view from outside the browser)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
        return json.loads(text) if text else None


#: Lab as a fresh load leaves it: no main-area tab, the file browser at the root shown on
#: the left, the right side collapsed, no toast, nothing in the browser's storage, no
#: workflow selected in the Orcheo sidebar.
_RESET = """async () => {
  const app = window.jupyterapp;
  await app.restored;
  for (const widget of Array.from(app.shell.widgets('main'))) widget.dispose();
  document.querySelectorAll('.jp-Notification-Toast-Close').forEach(b => b.click());
  app.shell.collapseRight();
  await app.commands.execute('filebrowser:go-to-path', {path: '/'});
  app.shell.activateById('filebrowser');
  window.localStorage.clear();
  window.sessionStorage.clear();
  // The Orcheo sidebar's one piece of state: a selected workflow (a click toggles it).
  document.querySelector('#orcheo-sidebar li.jp-mod-selected')?.click();
}"""

#: What ``lab/tree/<path>`` opens (``path`` null: the launcher, as ``lab`` shows it). Lab
#: puts a launcher in a main area left empty; a fresh load of a file shows no launcher.
_OPEN = """async (path) => {
  const app = window.jupyterapp;
  const launchers = () =>
    Array.from(app.shell.widgets('main')).filter(w => w.node.querySelector('.jp-Launcher'));
  if (!path) {
    const [launcher] = launchers();
    if (launcher) app.shell.activateById(launcher.id);
    else await app.commands.execute('launcher:create');
    return;
  }
  await app.commands.execute('docmanager:open', {path});
  for (const launcher of launchers()) launcher.dispose();
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_config(home: Path) -> dict[str, str]:
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "IPYTHONDIR": home / "ipython",
        "ORCHEO_DATA_DIR": home / "orcheo",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    labconfig = dirs["JUPYTER_CONFIG_DIR"] / "labconfig"
    labconfig.mkdir(exist_ok=True)
    (labconfig / "default_setting_overrides.json").write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:notification": {
                    "fetchNews": "false",
                    "checkForUpdates": False,
                },
            }
        )
    )
    (dirs["JUPYTER_CONFIG_DIR"] / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"orcheo_jupyter": True}}})
    )
    return {k: str(v) for k, v in dirs.items()}


@contextmanager
def running_lab(home: Path, timeout: float = 90) -> Iterator[Lab]:
    """Start JupyterLab on a free loopback port; stop it (and its kernels) afterwards."""
    root = home / "root"
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_write_config(home)}
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
    token = secrets.token_hex(16)
    port = _free_port()
    log = home / "lab.log"
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        # window.jupyterapp: Lab.open resets a loaded page instead of loading it again.
        "--LabApp.expose_app_in_browser=True",
        # Runs keep their spans (the run viewer's Trace tab, tests/browser/test_lab_trace.py).
        "--OrcheoApp.trace_store=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    lab = Lab(url, token, root, home, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-4000:]}")
            try:
                lab.api("GET", "api/status")
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start:\n{log.read_text()[-4000:]}"
                    ) from exc
                time.sleep(0.25)
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
