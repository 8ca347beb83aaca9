"""``Canvas(workflow)``: the workflow canvas as an anywidget, synced both ways.

Edits on the canvas arrive as small diffs (custom messages) and are applied to the
bound ``Workflow``'s document; changes made in Python redraw the canvas; runs of
the workflow light it up. The catalog and validation come from Python, so the
widget needs no server and works wherever anywidget does.
"""

from __future__ import annotations

import contextvars
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..nodes import registry
from ..runtime import background, breakpoints
from ..spec import DocumentError, WorkflowDocument, to_data
from ..spec.edits import EditError, apply_edits, changes_structure
from ..spec.io import changed_elsewhere
from ..spec.models import FrozenIRGraph
from ..workflow import Workflow
from . import bundle
from .debugging import DebugRequestError, WidgetDebug
from .picture import to_mermaid, to_svg

log = logging.getLogger(__name__)


def _credential_names() -> list[str]:
    """Names (never values) of stored credentials, for the [[secret]] picker.

    Reads the embedded vault's table of names directly (no key needed for names);
    an absent, unreadable or remote vault gives an empty list, not an error.
    """
    try:
        from ..settings import Settings
        from ..vault.store import SqliteCredentialStore

        settings = Settings.from_env()
        path = settings.data_dir / "vault.sqlite"
        if settings.repository_backend == "postgres" or not path.exists():
            return []

        async def names() -> list[str]:
            store = SqliteCredentialStore(path)
            await store.open()
            try:
                return sorted(row.name for row in await store.list_all())
            finally:
                await store.close()

        return background.run(names(), timeout=5)
    except Exception:  # the vault is optional; the picker then lists nothing
        return []


#: How long the canvas waits for the kernel (seconds), unless told otherwise.
DEFAULT_REPLY_TIMEOUT = 30.0
DEFAULT_NODE_TEST_TIMEOUT = 300.0
_TIMEOUT_ENV = {
    "reply_timeout": "ORCHEO_CANVAS_REPLY_TIMEOUT",
    "node_test_timeout": "ORCHEO_CANVAS_NODE_TEST_TIMEOUT",
}


def _seconds(name: str, given: float | None, default: float) -> float:
    """A canvas deadline: the argument, else its ``ORCHEO_CANVAS_*`` variable, else the default."""
    source, value = name, given
    if value is None:
        source = _TIMEOUT_ENV[name]
        raw = os.environ.get(source, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{source} must be a number of seconds, got {raw!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{source} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0 or value > _MAX_TIMEOUT:
        raise ValueError(
            f"{source} must be more than 0 and at most {_MAX_TIMEOUT:g} seconds, got {value!r}"
        )
    return float(value)


#: Browsers keep timers up to about 24.8 days; a longer deadline would fire at once.
_MAX_TIMEOUT = 86_400.0


def _as_workflow(source: Any) -> tuple[Workflow, Path | None]:
    if isinstance(source, Workflow):
        return source, None
    if isinstance(source, WorkflowDocument | Mapping):
        return Workflow.from_document(source), None
    if isinstance(source, str | Path):
        return Workflow.load(source), Path(source)
    raise TypeError(
        f"Canvas needs a Workflow, a WorkflowDocument, a document dict or a path, "
        f"got {type(source).__name__}"
    )


def _unrecorded(open_comm: Any) -> None:
    """Run ``open_comm`` with no parent request, so a notebook runner does not save it.

    Frontends (JupyterLab, Notebook, VS Code) take a ``comm_open`` by its target
    whatever request it answers; nbclient (``nbconvert --execute``) records only
    the messages of the cell it runs. The canvas cannot work without its kernel,
    so its model is left out of the saved widget state, and nbconvert's HTML shows
    the static picture of the output instead of an empty widget area.
    """
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:  # no kernel package: nothing records anything
        open_comm()
        return
    kernel = Kernel.instance() if Kernel.initialized() else None
    parent = getattr(kernel, "_shell_parent", None)
    if not isinstance(parent, contextvars.ContextVar):
        open_comm()
        return

    def detached() -> None:
        parent.set({})
        open_comm()

    contextvars.copy_context().run(detached)


class Canvas(anywidget.AnyWidget):
    """The canvas bound to a workflow: ``Canvas(workflow)`` in a notebook cell."""

    # A small loader; the bundle itself comes over the comm (see bundle.py), so a
    # notebook that saves widget state does not carry it.
    _esm = bundle.LOADER

    document = traitlets.Dict().tag(sync=True)
    #: The node catalog goes to each view with the bundle, not into the saved state.
    catalog: traitlets.List[dict[str, Any]] = traitlets.List()
    #: The static picture, drawn while the bundle loads (and where it never does).
    picture = traitlets.Unicode("").tag(sync=True)
    bundle_version = traitlets.Unicode("").tag(sync=True)
    problems: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    credentials = traitlets.List(traitlets.Unicode()).tag(sync=True)
    read_only = traitlets.Bool(False).tag(sync=True)
    height = traitlets.Unicode("560px").tag(sync=True)
    #: Seconds an edit or a debug question waits for the kernel's answer before the
    #: canvas says the kernel did not answer (a busy, stopped or restarted kernel
    #: never does). ``ORCHEO_CANVAS_REPLY_TIMEOUT`` sets the default.
    reply_timeout = traitlets.Float(DEFAULT_REPLY_TIMEOUT).tag(sync=True)
    #: The same for a node test, which runs the node in the kernel
    #: (``ORCHEO_CANVAS_NODE_TEST_TIMEOUT``).
    node_test_timeout = traitlets.Float(DEFAULT_NODE_TEST_TIMEOUT).tag(sync=True)

    def __init__(
        self,
        workflow: Workflow | WorkflowDocument | Mapping[str, Any] | str | Path,
        *,
        path: str | Path | None = None,
        height: str = "560px",
        read_only: bool = False,
        reply_timeout: float | None = None,
        node_test_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        timeouts = {
            "reply_timeout": _seconds("reply_timeout", reply_timeout, DEFAULT_REPLY_TIMEOUT),
            "node_test_timeout": _seconds(
                "node_test_timeout", node_test_timeout, DEFAULT_NODE_TEST_TIMEOUT
            ),
        }
        wf, loaded_from = _as_workflow(workflow)
        doc = wf.document
        super().__init__(
            document=to_data(doc),
            catalog=registry.catalog(),
            problems=self._problems_of(doc),
            picture=to_svg(doc),
            bundle_version=bundle.current().version,
            credentials=_credential_names(),
            read_only=read_only or not isinstance(doc.graph, FrozenIRGraph),
            height=height,
            **timeouts,
            **kwargs,
        )
        self.workflow = wf
        self.path: Path | None = Path(path) if path is not None else loaded_from
        self.last_error: str | None = None
        self._stale = False
        #: A file changed elsewhere that the user chose to replace (a second Save).
        self._replace_confirmed: Path | None = None
        self._lock = threading.Lock()
        self._run_events: list[dict[str, Any]] = []
        self._debug = WidgetDebug(wf)
        self._unsubscribe = wf.subscribe(self._on_workflow)
        self.on_msg(self._on_message)

    @traitlets.validate("reply_timeout", "node_test_timeout")
    def _valid_timeout(self, proposal: Any) -> float:
        name = proposal["trait"].name
        return _seconds(name, proposal["value"], 0.0)

    def open(self) -> None:
        """Open the comm outside the running cell's request (see ``_unrecorded``)."""
        if self.comm is not None:
            return
        _unrecorded(super().open)

    # --- Python -> canvas --------------------------------------------------------
    @staticmethod
    def _problems_of(doc: WorkflowDocument) -> list[dict[str, Any]]:
        from ..triggers.config import document_problems

        return [p.as_dict() for p in document_problems(doc)]

    def refresh(self) -> None:
        """Redraw from the workflow (after changing its document by other means)."""
        with self._lock:
            self._stale = False
            self.document = to_data(self.workflow.document)
            self.problems = self._problems_of(self.workflow.document)
            self.picture = to_svg(self.workflow.document)

    def _on_workflow(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "document" and payload.get("origin") is not self:
            self.refresh()
        elif kind == "run_event":
            if payload.get("type") == "run_started":
                self._run_events = []
            self._run_events.append(payload)
            self.send({"type": "run_event", "event": payload})

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        # Edits from the canvas do not echo the whole document back; a frontend that
        # (re)connects still gets the current one.
        if getattr(self, "_stale", False):
            with self._lock:
                self._trait_values["document"] = to_data(self.workflow.document)
                self._stale = False
        return super().get_state(key, drop_defaults)

    # --- canvas -> Python ----------------------------------------------------------
    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "boot":
            self._boot(content.get("request"), bool(content.get("need_bundle")))
        elif kind == "code_editor":
            # The code node editor's module, asked for when a page first opens a code node.
            built = bundle.current()
            reply = {"type": "code_editor", "request": content.get("request")}
            self.send(reply, buffers=[built.codemirror] if built.codemirror else [])
        elif kind == "diffs":
            self._apply(content.get("diffs"), content.get("seq"), content.get("view"))
        elif kind == "ping":
            self.send({"type": "pong", "seq": content.get("seq"), "view": content.get("view")})
        elif kind == "hello":
            self._hello(content.get("view"))
        elif kind == "save":
            self._save()
        elif kind == "run":
            self._start_run(
                content.get("inputs") or {},
                content.get("break_before") or [],
                content.get("break_after") or [],
            )
        elif kind == "debug":
            self._debug_request(content)
        elif kind == "continue":
            self._continue(content.get("run_id"), content.get("value"))

    def apply(self, diffs: list[dict[str, Any]]) -> None:
        """Apply canvas diffs from Python (the same path the browser uses)."""
        with self._lock:
            apply_edits(self.workflow.document, diffs)
            self._stale = True
        self.problems = self._problems_of(self.workflow.document)
        self.workflow.notify("document", {"origin": self})
        self.send({"type": "remote", "diffs": diffs})

    def _apply(self, diffs: Any, seq: Any, view: Any) -> None:
        try:
            with self._lock:
                apply_edits(self.workflow.document, diffs)
                self._stale = True
        except EditError as exc:
            self.last_error = str(exc)
            self.send(
                {
                    "type": "ack",
                    "seq": seq,
                    "view": view,
                    "ok": False,
                    "error": str(exc),
                    "document": to_data(self.workflow.document),
                }
            )
            return
        self.last_error = None
        applied_at = time.time() * 1000  # wall clock: the benchmark compares it with the browser's
        self.send(
            {
                "type": "ack",
                "seq": seq,
                "view": view,
                "ok": True,
                "diffs": diffs,
                "applied_at": applied_at,
            }
        )
        if changes_structure(diffs):  # a drag never re-runs validation
            self.problems = self._problems_of(self.workflow.document)
        self.workflow.notify("document", {"origin": self})

    def _boot(self, request: Any, need_bundle: bool) -> None:
        """A view's loader asks for the catalog, and the bundle unless its page has it."""
        built = bundle.current()
        reply = {"type": "boot", "request": request, "catalog": self.catalog}
        if not need_bundle:
            self.send(reply)
            return
        reply.update(css=built.css, version=built.version)
        self.send(reply, buffers=[built.js])

    def _hello(self, view: Any) -> None:
        reply: dict[str, Any] = {"type": "sync", "view": view, "events": self._run_events}
        if self._stale:
            reply["document"] = to_data(self.workflow.document)
        self.send(reply)

    def _notice(self, message: str, level: str = "info") -> None:
        self.send({"type": "notice", "level": level, "message": message})

    def _save(self) -> None:
        if self.read_only:
            self._notice("This canvas is read-only: nothing to save.", "error")
            return
        target = self.path or Path(f"{self.workflow.name}.orcheo.json")
        if changed_elsewhere(target) and self._replace_confirmed != target.resolve():
            self._replace_confirmed = target.resolve()
            self._notice(
                f"{target.name} changed on disk since this kernel read or wrote it (another "
                f"kernel, Lab's editor or a program): not saved. Save again to replace it "
                f"with this canvas's workflow.",
                "error",
            )
            return
        self._replace_confirmed = None
        try:
            written = self.workflow.save(target)
        except OSError as exc:
            self._notice(f"Could not save {target}: {exc}", "error")
            return
        self.path = written
        self._notice(f"Saved {written}")

    def _start_run(
        self, inputs: Mapping[str, Any], break_before: Any = (), break_after: Any = ()
    ) -> None:
        """Run without blocking the kernel; events stream to the canvas as they happen.

        Breakpoints toggled on the canvas travel in the run's config, so the run
        pauses there as an interrupt the canvas shows.
        """
        if not isinstance(break_before, list | tuple) or not isinstance(break_after, list | tuple):
            self._notice("Cannot run: breakpoints must be lists of node ids", "error")
            return
        config = breakpoints.into_config(None, break_before, break_after)
        future = background.submit(self.workflow.arun(dict(inputs), config=config))

        def done(fut: Any) -> None:
            exc = fut.exception()
            if isinstance(exc, DocumentError):
                self._notice(f"Cannot run: {exc}", "error")
            elif exc is not None:
                self._notice(f"Run failed to start: {exc}", "error")

        future.add_done_callback(done)

    def _continue(self, run_id: Any, value: Any = None) -> None:
        """Continue the run shown: past a breakpoint, or with the answer to its question.

        Its events light the canvas up; an answer its schema refuses makes the run ask
        again, with the reason, which the canvas shows.
        """
        if not isinstance(run_id, str) or not run_id:
            self._notice("Cannot continue: no run is paused here", "error")
            return
        shown = [e for e in self._run_events if e.get("run_id") == run_id]
        after = int(shown[-1].get("seq") or 0) if shown else 0
        future = background.submit(self.workflow.aresume(run_id, value, after=after))

        def done(fut: Any) -> None:
            exc = fut.exception()
            if exc is not None:
                self._notice(f"Cannot continue run {run_id[:8]}: {exc}", "error")

        future.add_done_callback(done)

    def _debug_request(self, content: dict[str, Any]) -> None:
        """Answer a test/preview/runs request off the kernel's thread; one reply per seq."""
        seq, view = content.get("seq"), content.get("view")
        raw = content.get("args")
        args: dict[str, Any] = raw if isinstance(raw, dict) else {}
        future = background.submit(self._debug.handle(str(content.get("op")), args))

        def done(fut: Any) -> None:
            reply: dict[str, Any] = {"type": "debug_reply", "seq": seq, "view": view}
            exc = fut.exception()
            if exc is None:
                reply.update(ok=True, result=fut.result())
            elif isinstance(exc, DebugRequestError):
                reply.update(ok=False, error=exc.message, code=exc.code, problems=exc.problems)
            else:
                log.warning("canvas debug request failed", exc_info=exc)
                reply.update(ok=False, error=f"{type(exc).__name__}: {exc}", code="error")
            self.send(reply)

        future.add_done_callback(done)

    def close(self) -> None:
        unsubscribe = getattr(self, "_unsubscribe", None)
        if unsubscribe is not None:
            unsubscribe()
        super().close()

    # --- no-JavaScript fallback ------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        doc = self.workflow.document
        svg = to_svg(doc)
        data = dict(data)
        data["image/svg+xml"] = svg
        data["text/html"] = f'<div class="orcheo-static">{svg}</div>'
        data["text/markdown"] = f"```mermaid\n{to_mermaid(doc)}\n```"
        data["text/plain"] = f"<Canvas of {self.workflow!r}>"
        return data, dict(metadata)
