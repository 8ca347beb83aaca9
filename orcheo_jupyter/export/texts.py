"""The human-facing files of a bundle: README, configuration examples and ``graphs.py``.

Kept apart from the writer so the words can be read (and changed) in one place.
Everything is deterministic (no dates, sorted), so re-exporting an unchanged
notebook changes no file and bundles diff cleanly in git.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WorkflowInfo:
    """What the texts say about one bundled workflow."""

    name: str
    file: str
    id: str
    graph: str  # variable in graphs.py and key in langgraph.json
    origin: str
    defaults: dict[str, Any] = field(default_factory=dict)
    webhook: bool = False
    crons: list[str] = field(default_factory=list)  # "0 6 * * * (Europe/Paris)"
    credentials: list[str] = field(default_factory=list)
    script: bool = False


def _triggers(w: WorkflowInfo) -> str:
    parts = (["webhook"] if w.webhook else []) + [f"cron `{c}`" for c in w.crons]
    return ", ".join(parts) or "—"


def readme(title: str, notebook: str, version: str, workflows: list[WorkflowInfo]) -> str:
    rows = "\n".join(f"| {w.name} | `{w.file}` | {w.origin} | {_triggers(w)} |" for w in workflows)
    first = workflows[0]
    run_lines = "\n".join(f"python -m orcheo_jupyter run {w.file}" for w in workflows)
    example = json.dumps(first.defaults or {"name": "value"}, ensure_ascii=False, sort_keys=True)
    defaults = [w for w in workflows if w.defaults]
    default_text = ""
    if defaults:
        shown = json.dumps(defaults[0].defaults, ensure_ascii=False, sort_keys=True)
        default_text = (
            "\nWithout `--inputs`, a run uses the defaults from the notebook's `parameters` "
            f"cell (in each document's `inputs_schema`), e.g. `{shown}`; `--inputs` "
            "overrides them key by key.\n"
        )
    hooks = [w for w in workflows if w.webhook]
    crons = [w for w in workflows if w.crons]
    trigger_lines = [
        f"- `{w.name}`: webhook `POST http://HOST:PORT/orcheo/hooks/{w.id}`" for w in hooks
    ] + [f"- `{w.name}`: cron {', '.join(f'`{c}`' for c in w.crons)}" for w in crons]
    triggers = (
        "Its triggers are armed at start-up:\n\n" + "\n".join(trigger_lines) + "\n"
        if trigger_lines
        else "None of the workflows has a trigger; start runs over the REST API.\n"
    )
    creds = sorted({c for w in workflows for c in w.credentials})
    credentials = (
        "The workflows read these credentials from the server's vault: "
        + ", ".join(f"`[[{c}]]`" for c in creds)
        + ". Create each once (values never go in the documents):\n\n"
        "```bash\n"
        'curl -sH "Authorization: token $TOKEN" -H "Content-Type: application/json" \\\n'
        f'     -d \'{{"name": "{creds[0]}", "value": "..."}}\' '
        "http://HOST:PORT/orcheo/api/credentials\n"
        "```\n"
        if creds
        else "The workflows use no credentials.\n"
    )
    scripts = [w.name for w in workflows if w.script]
    script_note = (
        f"\n`{'`, `'.join(scripts)}` {'is a' if len(scripts) == 1 else 'are'} LangGraph "
        "script graph(s): the server builds them under its script import guardrails.\n"
        if scripts
        else ""
    )
    return f"""# {title}

Workflows exported from `{notebook}` by `orcheo-jupyter export` (orcheo-jupyter {version}).
The bundle runs without the notebook and without JupyterLab.

| workflow | document | from | triggers |
| --- | --- | --- | --- |
{rows}
{script_note}
## Install

```bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
```

`requirements.txt` pins orcheo-jupyter and the packages the workflows' code imports to the
versions of the environment the notebook was exported from.

## Run a workflow once

```bash
{run_lines}
python -m orcheo_jupyter run {first.file} --inputs '{example}'
```
{default_text}
The final state is printed as JSON. Exit codes: 0 succeeded, 1 failed, 3 waiting for
input (answer with `python -m orcheo_jupyter resume RUN_ID --value JSON`). Runs are stored
under `ORCHEO_DATA_DIR` (see `.env.example`).

## Serve it: REST API, webhooks, schedules

```bash
ORCHEO_HOST=0.0.0.0 ORCHEO_PORT=8890 jupyter orcheo --bundle . --IdentityProvider.token="$TOKEN"
```

`jupyter orcheo` is the headless orcheo server (no JupyterLab). With `--bundle` it stores
each workflow at start-up under the id in its document and records what it stored. A
restart with the same bundle keeps edits stored on this server since (Lab, REST), and its
log says so; a document that differs from the one deployed last (a new bundle, or a
rollback to an earlier one) is stored as a new version over them, and they stay in the
version history: export them into the bundle to keep them. {triggers}
Every API route needs `Authorization: token $TOKEN`; for example
`POST /orcheo/api/workflows/{first.id}/execute` with `{{"inputs": {{...}}}}` starts a run,
`GET /orcheo/api/executions/RUN_ID` shows it. Settings: `config.example.py`
(`jupyter orcheo --config=config.example.py`) and `.env.example`.

## Credentials

{credentials}
## LangGraph

`langgraph.json` and `graphs.py` expose each workflow as a compiled LangGraph graph, so
LangGraph's own tooling can serve the same bundle (`langgraph dev`, `langgraph up`).
Send `{{"inputs": {{...}}}}`; missing inputs take the defaults above. LangGraph's server has
no orcheo vault, so workflows using credentials belong on `jupyter orcheo`.
"""


def graphs_module(workflows: list[WorkflowInfo]) -> str:
    lines = "\n".join(f'{w.graph} = workflow_graph(HERE / "{w.file}")' for w in workflows)
    return f'''"""LangGraph entry points of this bundle: one compiled graph per workflow.

`langgraph.json` names them as ``./graphs.py:<variable>``. Each is the workflow's own
graph (``orcheo_jupyter.runtime.build_graph(document).compile()``) behind a step that
starts the state as orcheo does: send ``{{"inputs": {{...}}}}``.
"""

from pathlib import Path

from orcheo_jupyter.export.langgraph_app import workflow_graph

HERE = Path(__file__).resolve().parent

{lines}
'''


def langgraph_json(workflows: list[WorkflowInfo], python: str) -> str:
    data = {
        "dependencies": ["."],
        "graphs": {w.graph: f"./graphs.py:{w.graph}" for w in workflows},
        "python_version": python,
    }
    return json.dumps(data, indent=2) + "\n"


def config_example(credentials: list[str]) -> str:
    creds = ", ".join(f"[[{c}]]" for c in credentials) or "none"
    return f"""# Configuration of `jupyter orcheo` serving this bundle:
#   jupyter orcheo --config=config.example.py
# Environment variables (.env.example) override what is set here.
c = get_config()  # noqa: F821

# Where the API listens, and the token every request needs (Authorization: token ...).
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8890
c.IdentityProvider.token = "change-me"  # or JUPYTER_TOKEN

# The bundle: its workflows are stored and their triggers armed at start-up (ORCHEO_BUNDLE).
c.OrcheoApp.bundle = "."

# Storage: SQLite files in one directory (default: <Jupyter data dir>/orcheo) ...
c.OrcheoApp.data_dir = "orcheo-data"
# ... or Postgres for workflows, runs and checkpoints.
# c.OrcheoApp.repository_backend = "postgres"
# c.OrcheoApp.checkpoint_backend = "postgres"
# c.OrcheoApp.postgres_dsn = "postgresql://orcheo:secret@db:5432/orcheo"

# Vault: credentials ({creds}) are encrypted with this key: 32 bytes,
# base64 or hex (ORCHEO_VAULT_KEY); without one, a key file is created with mode 0600.
# c.OrcheoApp.vault_key = ""
c.OrcheoApp.vault_key_file = "orcheo-data/vault.key"

# Triggers: cron schedules fire in this server; triggered runs are limited and retried.
c.OrcheoApp.cron_enabled = True
c.OrcheoApp.dispatch_max_concurrency = 4  # runs of one workflow at once
c.OrcheoApp.dispatch_max_attempts = 3  # then the job is a dead letter
c.OrcheoApp.dispatch_backoff_seconds = 1.0
"""


ENV_EXAMPLE = """\
# orcheo settings as environment variables (they override config.example.py).
ORCHEO_BUNDLE=.
ORCHEO_HOST=0.0.0.0
ORCHEO_PORT=8890
JUPYTER_TOKEN=change-me

# Storage: SQLite under ORCHEO_DATA_DIR, or Postgres.
ORCHEO_DATA_DIR=orcheo-data
# ORCHEO_REPOSITORY_BACKEND=postgres
# ORCHEO_CHECKPOINT_BACKEND=postgres
# ORCHEO_POSTGRES_DSN=postgresql://orcheo:secret@db:5432/orcheo
# ORCHEO_DURABILITY=async

# Vault key (32 bytes, base64 or hex), e.g. from
#   python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"
# Without it, a key file is created: ORCHEO_VAULT_KEY_FILE (default $ORCHEO_DATA_DIR/vault.key).
# ORCHEO_VAULT_KEY=
"""
