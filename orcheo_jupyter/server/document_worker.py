"""A process that checks big request bodies, so the server's event loop never waits on them.

Decoding a multi-megabyte JSON body, validating it with pydantic, compiling its
graph and encoding its canonical form take seconds for a 10,000-node document.
``json.loads``, ``json.dumps`` and pydantic's validation are each one C call that
holds the GIL from start to end: on a server thread they stall the loop as surely
as on the loop itself (``/api/status`` waited 0.3-0.7 s per call). So bodies of at
least ``LARGE_BODY_BYTES`` go to this worker, which runs the very functions the
small-body path runs on the loop (``intake.py``, ``documents.check_frozen``) and
answers with the checked model, or the error the client gets: the same status,
code, message and field paths either way.

What crosses the process boundary is bytes (the body, the canonical text) and
pickled models, unpickled on a thread in short Python steps (each model's
``__setstate__``) that let the loop run in between.

Crossover (``benchmarks/isolation.py --crossover``, benchmarks/README.md): below
64 KiB (about 450 simple nodes) checking on the loop takes a few milliseconds and the
round trip costs more; from about 140 KB the worker is no slower and the loop waits
five times less.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..common.api_errors import ErrorEnvelope
    from ..spec.models import WorkflowDocument
    from ..triggers.config import Triggers

log = logging.getLogger(__name__)

M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True)
class Upload:
    """A request body and the limits it is checked against."""

    raw: bytes
    media: str
    body_limit: int
    max_depth: int
    code: str


@dataclass(frozen=True)
class Stored:
    """A document ready to store: checked, compiled, under its final id, encoded.

    Not the model itself: a 10,000-node model is some 200,000 Python objects, and
    making them in the server (unpickling, then the garbage collector going over
    them) would stall its loop again. What storing needs is small.
    """

    id: str
    name: str
    description: str
    tags: list[str]
    checksum: str
    text: str
    notices: list[str]
    triggers: Triggers

    @classmethod
    def of(
        cls, doc: WorkflowDocument, stored: tuple[str, str], notices: list[str], triggers: Triggers
    ) -> Stored:
        assert doc.id is not None
        checksum, text = stored
        return cls(
            doc.id, doc.name, doc.description, list(doc.tags), checksum, text, notices, triggers
        )


@dataclass(frozen=True)
class Parsed:
    """A valid request body that the server finishes itself (a script graph)."""

    body: BaseModel


# --- what the worker runs (also run on a thread when the worker is off) ------------------
def parse_upload(upload: Upload, model: type[M]) -> M | ErrorEnvelope:
    """The body validated as ``model``, or the error."""
    from .intake import decode_json, validate_body

    return _guarded(lambda: validate_body(_decode(upload, decode_json), model, upload.code))


def store_upload(upload: Upload, workflow_id: str | None, check_only: bool) -> Any:
    """A workflow document body made ready to store (as ``WorkflowBase._store``).

    ``workflow_id`` is the stored workflow an update replaces (None: a new one);
    ``check_only`` validates the body and stops (an update of a workflow that does
    not exist answers 404 only for a valid body, as the small-body path does).
    Returns ``Stored``, ``Parsed`` (a script graph: the server finishes it),
    ``None`` (``check_only``) or the error (``ErrorEnvelope``).
    """
    return _guarded(lambda: _store(upload, workflow_id, check_only))


def parse_stored(data: dict[str, Any]) -> tuple[WorkflowDocument, str, str]:
    """A stored document as a model, with its checksum and canonical text."""
    from ..spec.io import document_from_data, stored_form

    doc = document_from_data(data)
    return (doc, *stored_form(doc))


def warm() -> int:
    """Import what checking a document needs, so the first big body does not wait."""
    from ..nodes import registry
    from ..runtime import build  # noqa: F401  (LangGraph)
    from . import intake, models  # noqa: F401

    registry.check_node  # noqa: B018
    return 0


def _store(upload: Upload, workflow_id: str | None, check_only: bool) -> Any:
    from ..spec.io import stored_form
    from ..spec.models import ScriptGraph, WorkflowDocument
    from .intake import decode_json, matching_id, validate_body, with_final_id
    from .models import WorkflowInput
    from .services import check_triggers

    body = validate_body(_decode(upload, decode_json), WorkflowInput, upload.code)
    if check_only:
        return None
    doc = WorkflowDocument.model_validate(body.model_dump(mode="python"))
    matching_id(doc, workflow_id)
    if isinstance(doc.graph, ScriptGraph):
        return Parsed(body)  # its index is built by the import guardrails, on the server
    from .documents import check_frozen  # LangGraph: imported once a body is valid

    check_frozen(doc)
    doc = with_final_id(doc, workflow_id or doc.id or uuid.uuid4().hex)
    assert doc.id is not None
    triggers = check_triggers(doc, doc.id)
    return Stored.of(doc, stored_form(doc), body.notices, triggers)


def _decode(upload: Upload, decode_json: Any) -> Any:
    # Converting legacy JSON asks the node registry which keys are config (installed on
    # its import), as it does in the server, where opening the runtime imported it.
    from ..nodes import registry  # noqa: F401
    from ..spec.values import ValueLimits

    return decode_json(
        upload.raw, upload.media, body_limit=upload.body_limit, limits=ValueLimits(upload.max_depth)
    )


def _guarded(step: Any) -> Any:
    """``step()``, or what the client would be told about its exception (``ErrorEnvelope``)."""
    from .errors import describe

    try:
        return step()
    except Exception as exc:
        described = describe(exc)
        if described.status >= 500:
            log.exception("orcheo: checking a request body failed")
        return described


# --- the server side -------------------------------------------------------------------
#: What a worker may be asked to run, by name.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "parse_upload": parse_upload,
    "store_upload": store_upload,
    "parse_stored": parse_stored,
    "warm": warm,
}
_HEADER = 8  # bytes of a frame's length, big-endian


class _Process:
    """One worker process, answering one call at a time over its stdin and stdout.

    A plain ``python -m`` child rather than ``multiprocessing``: spawning through
    multiprocessing runs the server's main script again in the child, and a launcher
    script without a ``__main__`` guard would start a second Jupyter server there.
    """

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls) -> _Process:
        env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl+C in a terminal reaches the server, not it
        )
        return cls(proc)

    async def call(self, name: str, args: tuple[Any, ...]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        # Pickling a stored document's data is one C call: on a thread, not the loop.
        payload = await asyncio.to_thread(pickle.dumps, (name, args), pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(len(payload).to_bytes(_HEADER, "big") + payload)
        await self.proc.stdin.drain()
        size = int.from_bytes(await self.proc.stdout.readexactly(_HEADER), "big")
        answer = await self.proc.stdout.readexactly(size)
        # Unpickling models runs their __setstate__ in short Python steps: the loop's
        # thread gets the GIL in between.
        ok, value = await asyncio.to_thread(pickle.loads, answer)
        if not ok:
            raise RuntimeError(f"the document worker failed: {value}")
        return value

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()


class DocumentWorker:
    """``processes`` worker processes, started on first use (0: the server's threads)."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._idle: asyncio.Queue[_Process] | None = None
        self._started = 0
        self._all: set[_Process] = set()

    async def _take(self) -> _Process:
        if self._idle is None:
            self._idle = asyncio.Queue()
        if self._idle.empty() and self._started < self.processes:
            self._started += 1
            try:
                process = await _Process.start()
            except BaseException:
                self._started -= 1
                raise
            self._all.add(process)
            return process
        return await self._idle.get()

    def _drop(self, process: _Process) -> None:
        process.kill()
        self._all.discard(process)
        self._started -= 1

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker process; a worker that died is replaced next time."""
        if self.processes <= 0:
            return await asyncio.to_thread(fn, *args)
        process = await self._take()
        try:
            value = await process.call(fn.__name__, args)
        except (OSError, EOFError, asyncio.IncompleteReadError):
            self._drop(process)
            from .errors import ApiError

            raise ApiError(
                503,
                "unavailable",
                "the document worker stopped while checking this request; try again",
                headers={"Retry-After": "1"},
            ) from None
        except BaseException:  # cancelled mid-call: its pipe is out of step
            self._drop(process)
            raise
        assert self._idle is not None
        self._idle.put_nowait(process)
        return value

    async def parse(self, upload: Upload, model: type[M]) -> M:
        """The body validated as ``model``; ApiError as the small-body path raises it."""
        return cast("M", raise_failure(await self.call(parse_upload, upload, model)))

    async def aclose(self) -> None:
        """End the processes (they also end when the server does: their stdin closes)."""
        processes = list(self._all)
        for process in processes:
            self._drop(process)
        self._idle = None
        for process in processes:
            await process.proc.wait()


def raise_failure(outcome: Any) -> Any:
    """``outcome``, unless it describes an error: then the ``ApiError`` it describes."""
    from ..common.api_errors import ErrorEnvelope
    from .errors import ApiError

    if isinstance(outcome, ErrorEnvelope):
        raise ApiError(outcome.status, outcome.code, outcome.message, outcome.details)
    return outcome


def _serve() -> None:
    """The worker's loop: a pickled ``(name, args)`` in, a pickled ``(ok, value)`` out."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to the server's log, not into the answers
    orders = sys.stdin.buffer
    while True:
        header = orders.read(_HEADER)
        if len(header) < _HEADER:
            return  # the server closed our stdin: it stopped
        name, args = pickle.loads(orders.read(int.from_bytes(header, "big")))
        try:
            answer: tuple[bool, Any] = (True, FUNCTIONS[name](*args))
        except BaseException as exc:  # _guarded describes the expected ones
            log.exception("orcheo: document worker: %s failed", name)
            answer = (False, f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        answers.write(len(data).to_bytes(_HEADER, "big") + data)
        answers.flush()


if __name__ == "__main__":  # run as this module, so answers pickle under its real name
    from orcheo_jupyter.server.document_worker import _serve as serve

    serve()
