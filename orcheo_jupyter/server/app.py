"""The ``orcheo`` Jupyter server extension, also runnable headless as ``jupyter orcheo``.

The app owns the runtime (executor, store, checkpoints, trigger services) for the
server's lifetime. JupyterLab's start never waits for it: it opens in the background
once the server is up, or, while nothing is stored yet, on first use (see
``_start_jupyter_server_extension``); requests that need it await the opening. It
closes everything on stop. This module imports nothing heavy at the top (see
``tests/test_startup.py``).
Configuration is traitlets (``c.OrcheoApp.data_dir = ...``) with the
``ORCHEO_*`` environment variables taking precedence, as in the rest of orcheo.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Unicode, default

from .. import __version__, ops
from ..common.flags import parse_flag
from ..ingest.limits import DEFAULT_ALLOWED_IMPORTS, MAX_SCRIPT_BYTES
from ..runners import RunnerConfig, default_runners
from ..runners.config import GiB
from ..settings import ENVIRONMENT, Settings
from ..spec.values import BODY_ENVELOPE, DEFAULT_MAX_DEPTH, HIGHEST_MAX_DEPTH, ValueLimits
from .body_limit import DEFAULT_MAX_BODY_BYTES, max_body_bytes
from .routes import tornado_handlers

if TYPE_CHECKING:
    from ..runtime import script_graph
    from ..runtime.executor import Executor
    from .document_worker import DocumentWorker
    from .documents import Documents
    from .services import Services

#: What opening the runtime imports (LangGraph, LangChain, the vault, the triggers),
#: loaded in a worker thread so the event loop keeps answering meanwhile.
#: jupyter_server's event of kernel starts, restarts and shutdowns.
KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
_RUNTIME_MODULES = (
    "orcheo_jupyter.runtime.executor",
    "orcheo_jupyter.runtime.script_graph",
    "orcheo_jupyter.runtime.build",
    "orcheo_jupyter.ingest",
    "orcheo_jupyter.server.services",
)

#: Traitlets that set the Settings field of the same name, unless the variable that
#: field declares (``settings.ENVIRONMENT``) is set.
_SETTINGS_TRAITS = (
    "data_dir",
    "repository_backend",
    "repository_path",
    "checkpoint_backend",
    "checkpoint_path",
    "postgres_dsn",
    "durability",
    "executor",
    "broker_url",
    "max_value_bytes",
    "wal_limit_bytes",
    "max_input_depth",
    "trace_store",
)
_PATH_FIELDS = {"data_dir", "repository_path", "checkpoint_path"}
#: How often a server with nothing stored looks for a store that a kernel created.
STORE_POLL_SECONDS = 2.0
#: benchmarks/api.py, interleaved A/B at 8 connections: median 180 -> 257 runs/s headless.
HEADLESS_SWITCH_INTERVAL = 0.0005


class OrcheoApp(ExtensionApp):
    """Workflow REST/WebSocket API over the orcheo runtime."""

    name = "orcheo"
    description = "orcheo: workflow automation on LangGraph (REST and WebSocket API)"
    version = __version__
    extension_url = "/orcheo/api/openapi.json"
    # ``jupyter orcheo`` serves the API alone: no JupyterLab needed for deployment.
    load_other_extensions = False

    data_dir = Unicode(
        "",
        help="Directory of orcheo's SQLite files (default: <Jupyter data dir>/orcheo). "
        "ORCHEO_DATA_DIR overrides it.",
    ).tag(config=True)
    repository_backend = Unicode("", help="sqlite (default) or postgres.").tag(config=True)
    repository_path = Unicode("", help="SQLite file of workflows and runs.").tag(config=True)
    checkpoint_backend = Unicode("", help="sqlite (default) or postgres.").tag(config=True)
    checkpoint_path = Unicode("", help="SQLite file of LangGraph checkpoints.").tag(config=True)
    postgres_dsn = Unicode("", help="Postgres DSN when a backend is postgres.").tag(config=True)
    durability = Unicode(
        "", help="Checkpoint policy: sync, async (default) or exit. ORCHEO_DURABILITY overrides."
    ).tag(config=True)

    executor = Unicode(
        "",
        help="local (default): runs execute in this server; celery: runs are queued for "
        "`orcheo-jupyter worker` processes. ORCHEO_EXECUTOR overrides.",
    ).tag(config=True)
    broker_url = Unicode(
        "", help="Redis URL of the Celery broker and event fan-out. ORCHEO_BROKER_URL overrides."
    ).tag(config=True)
    runners = Int(
        -1,
        help="Runner processes that execute the server's runs (default: min(cores, 4)); "
        "0 runs them inside the server process, where an async node that blocks its event "
        "loop (time.sleep, a busy loop), a long call that holds the GIL (sum over a huge "
        "range, regex backtracking) or a node allocating gigabytes stalls JupyterLab for "
        "everyone, and a node past its timeout keeps running on its thread. "
        "ORCHEO_RUNNERS overrides.",
    ).tag(config=True)
    runners_on_demand = Bool(
        False,
        help="Start the runner processes at the first run or node test instead of when the "
        "runtime opens: a server that never runs a workflow keeps no idle runner (each "
        "holds LangGraph in memory and costs seconds of CPU to start); the first run waits "
        "for its runner to start. ORCHEO_RUNNERS_ON_DEMAND overrides.",
    ).tag(config=True)
    runner_memory_limit = Int(
        4 * GiB,
        help="Address-space limit of each runner process, in bytes (0: none); a run over it "
        "fails with 'out of memory in node X'. ORCHEO_RUNNER_MEMORY_LIMIT overrides.",
    ).tag(config=True)
    runner_nice = Int(
        10,
        help="CPU priority each runner process gives up (a nice increment, 0-19), so that "
        "JupyterLab and kernels are served first while runs keep every core busy. "
        "ORCHEO_RUNNER_NICE overrides.",
    ).tag(config=True)
    document_workers = Int(
        1,
        help="Processes that check big request bodies (64 KiB and more: decoding, validating "
        "and compiling a workflow document), started on the first such body; 0 checks them on "
        "the server's threads, where they stall its event loop for seconds. "
        "ORCHEO_DOCUMENT_WORKERS overrides.",
    ).tag(config=True)
    trace_store = Bool(
        False,
        help="Keep each run's OpenTelemetry spans with the run, for the Lab run viewer's "
        "Trace tab and GET /orcheo/api/executions/{id}/trace (no collector needed). "
        "Exporting is configured the standard way (OTEL_TRACES_EXPORTER=console|otlp|none, "
        "OTEL_EXPORTER_OTLP_ENDPOINT, ...). ORCHEO_TRACE_STORE overrides.",
    ).tag(config=True)
    log_format = Unicode(
        "", help="orcheo's own log lines: text (default) or json. ORCHEO_LOG_FORMAT overrides."
    ).tag(config=True)

    script_max_bytes = Int(
        MAX_SCRIPT_BYTES, help="Largest imported script, in bytes after UTF-8 encoding."
    ).tag(config=True)
    script_timeout = Float(
        60.0, help="Seconds an imported script may take to build its graph before it is stopped."
    ).tag(config=True)
    script_allowed_imports = List(
        Unicode(),
        default_value=list(DEFAULT_ALLOWED_IMPORTS),
        help="Modules (and their submodules) imported scripts may import.",
    ).tag(config=True)
    switch_interval = Float(
        0.0,
        help="Python's GIL switch interval for this process, in seconds (0: leave the default "
        "of 5 ms). The SQLite threads compete with the event loop for the GIL; a shorter "
        "interval lets the loop answer and stream events sooner. `jupyter orcheo` uses 0.0005.",
    ).tag(config=True)
    freeze_gc = Bool(
        False,
        help="Once the runtime is open, move every object allocated so far (Jupyter, "
        "LangGraph, pydantic models: a few hundred thousand) out of the garbage collector's "
        "sight (gc.freeze). Full collections then scan only newer objects: pauses of "
        "50-200 ms under load become a few ms. `jupyter orcheo` turns it on.",
    ).tag(config=True)
    max_body_bytes = Int(
        DEFAULT_MAX_BODY_BYTES,
        help="Largest request body the API and webhooks read, in bytes; a larger "
        "Content-Length gets 413 before any of the body is read. `jupyter orcheo` also "
        "sets ServerApp.max_body_size to it. ORCHEO_MAX_BODY_BYTES overrides.",
    ).tag(config=True)
    max_input_depth = Int(
        DEFAULT_MAX_DEPTH,
        help="Deepest nesting of run inputs (every surface), of webhook bodies and, plus "
        f"{BODY_ENVELOPE} levels for the request's own envelope, of API request bodies; "
        f"deeper values are refused with 400 before anything is stored. At most "
        f"{HIGHEST_MAX_DEPTH}: checkpoints cannot hold deeper values. "
        "ORCHEO_MAX_INPUT_DEPTH overrides.",
    ).tag(config=True)

    vault_key = Unicode(
        "",
        help="The vault's AES-256 key (32 bytes as base64 or hex); default: a key file. "
        "ORCHEO_VAULT_KEY overrides.",
    ).tag(config=True)
    vault_key_file = Unicode(
        "",
        help="The vault's key file, created with mode 0600 when missing "
        "(default <data dir>/vault.key). ORCHEO_VAULT_KEY_FILE overrides.",
    ).tag(config=True)
    dispatch_max_concurrency = Int(
        4, help="Default limit of a workflow's triggered/dispatched runs at once; more wait."
    ).tag(config=True)
    dispatch_max_attempts = Int(
        3, help="Default runs per triggered/dispatched job before it becomes a dead letter."
    ).tag(config=True)
    dispatch_backoff_seconds = Float(
        1.0, help="Default wait before the first retry of a failed job (doubles each time)."
    ).tag(config=True)
    dispatch_max_active = Int(
        16, help="Triggered/dispatched runs this server drives at once, all workflows together."
    ).tag(config=True)
    cron_enabled = Bool(True, help="Fire cron triggers in this server.").tag(config=True)
    max_value_bytes = Int(
        0,
        help="The most one stored value may take, in bytes: a node's output (an event), a run's "
        "inputs or final state, a checkpoint row (0: the default, 64 MiB). A run that makes a "
        "bigger one fails alone, with the limit in its error. ORCHEO_MAX_VALUE_BYTES overrides.",
    ).tag(config=True)
    wal_limit_bytes = Int(
        0,
        help="SQLite -wal files are checkpointed and truncated soon after they outgrow this many "
        "bytes (0: the default, 64 MiB). ORCHEO_SQLITE_WAL_LIMIT_BYTES overrides.",
    ).tag(config=True)
    bundle = Unicode(
        "",
        help="A bundle directory (`orcheo-jupyter export`): its workflows are stored at start-up "
        "(a new version when a document differs from the one deployed last; a version stored "
        "on this server since the same document was deployed is kept) and their triggers "
        "armed. ORCHEO_BUNDLE overrides.",
    ).tag(config=True)
    aliases = {**ExtensionApp.aliases, "bundle": "OrcheoApp.bundle"}  # jupyter orcheo --bundle DIR

    @default("open_browser")
    def _default_open_browser(self) -> bool:
        return False

    # --- lifecycle -------------------------------------------------------------
    def initialize_settings(self) -> None:
        if self.switch_interval > 0:
            sys.setswitchinterval(self.switch_interval)
        self.body_limit = max_body_bytes(self.max_body_bytes)
        self._executor: Executor | None = None
        self._opening: asyncio.Future[Executor] | None = None
        self._stopped = False
        self._watching: asyncio.Future[None] | None = None
        self._previous_loader: script_graph.ScriptLoader | None = None
        self._documents: Documents | None = None
        self._document_worker: DocumentWorker | None = None
        depth = self.orcheo_settings().max_input_depth
        #: Limits of API request bodies: run inputs' depth plus the request's envelope.
        self.body_limits = ValueLimits(min(depth + BODY_ENVELOPE, HIGHEST_MAX_DEPTH))
        if self.log_format or os.environ.get("ORCHEO_LOG_FORMAT"):
            ops.logs.configure(os.environ.get("ORCHEO_LOG_FORMAT") or self.log_format)
        self.log.info("orcheo: data in %s", self.orcheo_settings().data_dir)
        self._bundle = self._read_bundle()

    def _read_bundle(self) -> list[Any]:
        """The bundle's checked documents; a bundle that cannot be served stops the server."""
        path = os.environ.get("ORCHEO_BUNDLE") or self.bundle
        if not path:
            return []
        from ..export.deploy import BundleError, read_bundle

        try:
            return read_bundle(path)
        except BundleError as exc:
            self.log.critical("orcheo: cannot serve the bundle: %s", exc)
            raise SystemExit(f"orcheo: cannot serve the bundle: {exc}") from None

    @property
    def documents(self) -> Documents:
        """Admission checks; built on first use (they need pydantic models and jsonschema)."""
        if self._documents is None:
            from ..ingest import AllowList, ScriptLimits
            from .documents import Documents

            limits = ScriptLimits(
                max_bytes=self.script_max_bytes,
                timeout=self.script_timeout,
                allow=AllowList(tuple(self.script_allowed_imports)),
            )
            self._documents = Documents(limits)
        return self._documents

    @property
    def document_worker(self) -> DocumentWorker:
        """Where big request bodies are checked (its processes start on first use)."""
        if self._document_worker is None:
            from .document_worker import DocumentWorker

            count = _env_int("ORCHEO_DOCUMENT_WORKERS", self.document_workers)
            if count < 0:
                raise ValueError(f"document_workers must be 0 or more, not {count}")
            self._document_worker = DocumentWorker(count)
        return self._document_worker

    def initialize_handlers(self) -> None:
        self.handlers.extend(tornado_handlers())

    def orcheo_settings(self) -> Settings:
        """Traitlets, unless the matching ORCHEO_* variable is set."""
        overrides: dict[str, Any] = {}
        for name in _SETTINGS_TRAITS:
            value = getattr(self, name)
            if value and ENVIRONMENT[name].read(os.environ) is None:
                overrides[name] = Path(value).expanduser() if name in _PATH_FIELDS else value
        return Settings.from_env(**overrides)

    def runner_config(self, settings: Settings) -> RunnerConfig:
        """The runner pool: size and memory limit (traitlets, ORCHEO_* overrides)."""
        count = _env_int("ORCHEO_RUNNERS", self.runners)
        memory = _env_int("ORCHEO_RUNNER_MEMORY_LIMIT", self.runner_memory_limit)
        if count < 0:
            count = default_runners()
        if memory < 0:
            raise ValueError(f"runner_memory_limit must be 0 or more bytes, not {memory}")
        nice = _env_int("ORCHEO_RUNNER_NICE", self.runner_nice)
        if not 0 <= nice <= 19:
            raise ValueError(f"runner_nice must be from 0 to 19, not {nice}")
        return RunnerConfig(
            count,
            settings,
            memory_limit=memory,
            nice=nice,
            vault_key=self.vault_key or None,
            vault_key_file=self.vault_key_file or None,
            on_demand=_env_flag("ORCHEO_RUNNERS_ON_DEMAND", self.runners_on_demand),
            script={
                "max_bytes": self.script_max_bytes,
                "timeout": self.script_timeout,
                "allow": list(self.script_allowed_imports),
            },
        )

    async def get_executor(self) -> Executor:
        """The executor, opened once on the server's loop (requests may beat the start hook)."""
        if self._executor is not None:
            return self._executor
        if self._stopped:
            from .errors import ApiError

            raise ApiError(503, "unavailable", "the orcheo extension is shutting down")
        return await asyncio.shield(self._begin_opening())

    async def _open(self) -> Executor:
        self._prestart_runners()
        await asyncio.to_thread(_import_runtime)
        from ..distributed import open_executor
        from ..ingest import restricted_loader
        from ..runtime import script_graph
        from .services import open_services

        self._previous_loader = script_graph.set_script_loader(
            restricted_loader(self.documents.limits)
        )
        settings = self.orcheo_settings()
        executor = ops.attach(await open_executor(settings, self.runner_config(settings)))
        if self._bundle:  # stored first: starting the trigger services arms their triggers
            from ..export.deploy import install

            log = getattr(getattr(self, "serverapp", None), "log", None) or self.log
            for done in await install(executor.store, self._bundle):
                (log.warning if done.warns else log.info)(
                    "orcheo: bundle workflow %s", done.describe()
                )
        self.services: Services = await open_services(self, executor)
        self._executor = executor
        if self.freeze_gc:
            gc.collect()
            gc.freeze()
        return executor

    def _prestart_runners(self) -> None:
        """Start the runner processes before this process imports the runtime (seconds):
        they import LangGraph meanwhile, and the first run does not wait for them."""
        from ..distributed import executor_mode
        from ..runners import pool

        try:
            settings = self.orcheo_settings()
            runners = self.runner_config(settings)
            if executor_mode(settings) == "local" and not runners.on_demand:
                pool.prestart(runners.count)
        except ValueError:  # a bad setting: opening the runtime reports it
            return

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """The server is ready first: the runtime opens in the background, or on first use.

        With something stored (workflows, runs, triggers), a bundle, or a server backend
        (Postgres, Celery), it opens now in the background: triggers arm and interrupted
        runs resume as soon as it is open. With nothing stored (a JupyterLab whose user
        never touched a workflow) it opens with the first request that needs it, or once
        a kernel's ``%%orcheo`` creates the store, so that JupyterLab never loads
        LangGraph for nothing. Requests meanwhile await the same opening.
        """
        if self._opening is not None or self._stopped:
            return
        self._watch_kernels(serverapp)
        if self._runtime_needed_now():
            self._begin_opening()
        else:
            self._watching = asyncio.ensure_future(self._open_once_stored())

    def _watch_kernels(self, serverapp: Any) -> None:
        """A kernel restarted or shut down may leave runs it was executing: sweep them now
        (failed, naming the cause; see ``triggers.kernel_runs``), not at the next round."""
        events = getattr(serverapp, "event_logger", None)
        if events is None:
            return

        async def kernel_action(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
            services = getattr(self, "services", None)
            if data.get("action") in ("restart", "shutdown") and services is not None:
                services.triggers.kernel_runs.wake()

        try:
            events.add_listener(schema_id=KERNEL_ACTIONS, listener=kernel_action)
        except Exception as exc:  # an older jupyter_server: the periodic sweep remains
            self.log.debug("orcheo: kernel actions not observed: %s", exc)

    def _runtime_needed_now(self) -> bool:
        settings = self.orcheo_settings()
        backends = {settings.repository_backend, settings.checkpoint_backend}
        if self._bundle or {b.strip().lower() for b in backends} != {"sqlite"}:
            return True
        if (settings.executor or "local").strip().lower() != "local":
            return True
        return settings.repository_file.exists() or settings.triggers_file.exists()

    async def _open_once_stored(self) -> None:
        """Open the runtime once a store appears (a kernel saved a workflow)."""
        while self._opening is None and not self._stopped:
            if self._runtime_needed_now():
                self._begin_opening()
                return
            await asyncio.sleep(STORE_POLL_SECONDS)

    def _begin_opening(self) -> asyncio.Future[Executor]:
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
            self._opening.add_done_callback(self._opened)
        return self._opening

    def _opened(self, opening: asyncio.Future[Executor]) -> None:
        if opening.cancelled() or opening.exception() is None:
            return
        log = getattr(getattr(self, "serverapp", None), "log", None) or self.log
        log.error("orcheo: the runtime could not open: %s", opening.exception())

    async def stop_extension(self) -> None:
        """Stop runs this process drives (stored as cancelled) and release the files."""
        self._stopped = True
        if self._watching is not None:
            self._watching.cancel()
        opening, self._opening = self._opening, None
        executor = None
        if opening is not None:
            try:
                executor = await opening
            except Exception:  # logged when the opening failed; nothing to close
                executor = None
        if executor is not None:
            from ..runtime import script_graph

            self._executor = None
            services = getattr(self, "services", None)
            if services is not None:
                await services.close()  # before the executor: they follow its runs
            await executor.aclose()
            script_graph.set_script_loader(self._previous_loader)
        if self._document_worker is not None:
            await self._document_worker.aclose()
        if "orcheo_jupyter.runners.pool" in sys.modules:  # started ahead, never taken
            await asyncio.to_thread(sys.modules["orcheo_jupyter.runners.pool"].discard_prestarted)
        if "orcheo_jupyter.ingest.sandbox" in sys.modules:  # started only by script imports
            await asyncio.to_thread(sys.modules["orcheo_jupyter.ingest.sandbox"].shutdown)

    # --- headless launch ---------------------------------------------------------
    @classmethod
    def launch_instance(cls, argv: list[str] | None = None, **kwargs: Any) -> None:
        """``jupyter orcheo``: ORCHEO_HOST / ORCHEO_PORT choose where it listens."""
        args = list(sys.argv[1:] if argv is None else argv)
        # Jupyter's own routes (and 404s) buffer whole bodies up to max_body_size
        # (512 MiB by default): headless, the same limit as orcheo's routes.
        body_limit = max_body_bytes(DEFAULT_MAX_BODY_BYTES)
        env_args = [
            f"--OrcheoApp.switch_interval={HEADLESS_SWITCH_INTERVAL}",
            "--OrcheoApp.freeze_gc=True",
            f"--ServerApp.max_body_size={body_limit}",
            # The read buffer holds a request's head and what arrives with it: far below
            # a small body limit, a keep-alive request sent whole dropped the connection.
            f"--ServerApp.max_buffer_size={max(body_limit, 4 * 1024 * 1024)}",
        ]
        if os.environ.get("ORCHEO_HOST"):
            env_args.append(f"--ServerApp.ip={os.environ['ORCHEO_HOST']}")
        if os.environ.get("ORCHEO_PORT"):
            env_args += [
                f"--ServerApp.port={os.environ['ORCHEO_PORT']}",
                "--ServerApp.port_retries=0",
            ]
        super().launch_instance(argv=env_args + args, **kwargs)


def _import_runtime() -> None:
    for name in _RUNTIME_MODULES:
        importlib.import_module(name)


def _env_int(name: str, configured: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return configured
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _env_flag(name: str, configured: bool) -> bool:
    value = os.environ.get(name, "")
    return parse_flag(value, name) if value.strip() else configured


main = launch_instance = OrcheoApp.launch_instance
