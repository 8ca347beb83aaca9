"""Wrap every node with what a run needs: events, retries, timeouts and clear errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph._internal._constants import CONFIG_KEY_RUNTIME
from langgraph.errors import GraphBubbleUp

from .. import tracing
from ..common.retry import backoff_delay
from ..spec.models import RetryPolicy
from ..spec.surrogates import printable
from ..store.encoding import NotUnicode, ValueTooLarge
from . import guard as guards
from . import observer as obs
from .serialize import Unstorable, check_storable

NodeCall = Callable[[dict[str, Any], dict[str, Any], int], Awaitable[Any]]

#: Error messages are stored in events and on the run: a cause that prints a gigabyte
#: (an exception quoting its input) is cut to this many characters.
MAX_ERROR_CHARS = 16_384
#: Set on the node functions ``instrument`` makes: they report their own events.
_REPORTS = "_orcheo_reports"


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text``, cut to ``limit`` characters with a note of how much was left out."""
    text = printable(text)  # an error message must be storable whatever it quotes
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters not shown)"


class NodeFailed(RuntimeError):
    """A node gave up; the message names the node and the cause."""

    def __init__(self, node: str, cause: BaseException | str, line: int | None = None):
        self.node = node
        self.cause = cause
        #: The line of the node's code (as its editor numbers it) where it failed.
        self.line = line
        #: The cause's type, kept when the message is redacted (traces show it).
        self.kind = type(cause).__name__ if isinstance(cause, BaseException) else "NodeFailed"
        where = f" (line {line} of its code)" if line else ""
        detail = describe(cause) if isinstance(cause, BaseException) else clip(cause)
        if isinstance(cause, MemoryError):
            super().__init__(f"{guards.out_of_memory(node)}{where}")
        else:
            super().__init__(f"node {node!r} failed{where}: {detail}")


class Escaped(Exception):
    """What node code raised beyond ``Exception`` (``SystemExit``, ``KeyboardInterrupt``...).

    Left as it is, asyncio re-raises the first two out of the event loop (the whole
    process stops, and with it every other run), and a bare ``BaseException`` passes
    every handler that settles a run. Raised as this instead, it is an ordinary failure
    of its node.
    """

    def __init__(self, raised: BaseException) -> None:
        super().__init__(str(raised))
        self.raised = raised


def contained(call: NodeCall) -> NodeCall:
    """``call``, with a ``BaseException`` it raises turned into ``Escaped``.

    Cancellation and interrupts keep their meaning. This wraps the call itself, inside
    any task ``asyncio.wait_for`` makes for it: a task would re-raise ``SystemExit``
    into the loop before anyone awaiting it saw the error.
    """

    async def guarded(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        try:
            return await call(state, config, attempt)
        except (Exception, asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:
            raise Escaped(exc) from exc

    return guarded


def describe(exc: BaseException) -> str:
    text = str(exc)
    return clip(f"{type(exc).__name__}: {text}") if text else type(exc).__name__


def langgraph_attempt(config: RunnableConfig) -> int:
    """Which call of this node LangGraph is making: 2 and on when its retry policy retries.

    A script node's retries are LangGraph's (a drawn node's are ours, and LangGraph
    calls it once), so without this each retry was reported as attempt 1 again.
    """
    runtime = (config.get("configurable") or {}).get(CONFIG_KEY_RUNTIME)
    attempt = getattr(getattr(runtime, "execution_info", None), "node_attempt", None)
    return attempt if isinstance(attempt, int) and attempt > 0 else 1


def instrument(
    node_id: str,
    call: NodeCall,
    *,
    retry: RetryPolicy | None,
    timeout: float | None,
    line_of: Callable[[BaseException], int | None] | None = None,
    may_hold_loop: bool = True,
    raise_as_raised: bool = False,
) -> Callable[[dict[str, Any], RunnableConfig], Awaitable[Any]]:
    """A LangGraph node function around ``call(state, config, attempt)``.

    ``may_hold_loop``: whether the node's code may block the event loop (user code, a
    plugin's node type). Where the run's observer asks for it (a runner process), each
    attempt's start is then committed, and so streamed, before the code runs: a
    blocked loop would otherwise hold the start in the group commit until the node
    ends. Nodes that yield promptly leave their start to the group commit (a commit
    per node costs runs of small nodes a quarter of their time).

    ``raise_as_raised``: a failure leaves as the code raised it (reported all the same),
    not as ``NodeFailed``: a script's own retry policy and error handler match on its
    exception types. A run with secrets still gets the redacted ``NodeFailed``.
    """
    attempts = retry.max_attempts if retry else 1
    call = contained(call)

    async def node(state: dict[str, Any], config: RunnableConfig) -> Any:
        tracer = tracing.current
        if tracer is None:
            return await attempts_of(state, config, None)
        span = tracer.start_node(node_id)
        outcome, error, kind = "succeeded", None, ""
        try:
            return await attempts_of(state, config, span)
        except GraphBubbleUp:
            outcome = "interrupted"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except BaseException as exc:
            outcome, error = "failed", str(exc)
            kind = exc.kind if isinstance(exc, NodeFailed) else type(exc).__name__
            raise
        finally:
            span.end(outcome, span.attempts, error, kind)

    async def attempts_of(state: dict[str, Any], config: RunnableConfig, span: Any) -> Any:
        observer = obs.current.get()
        attempt = langgraph_attempt(config)
        while True:
            guard = guards.current()
            if guard is not None:
                # Before anything of the attempt happens: a runner whose server has died
                # ends here, and the next server runs this node once, from the checkpoint.
                guard.starting(node_id)
            if span is not None:
                span.attempts = attempt
            if observer is not None:
                observer.node_started(node_id, attempt)
                if may_hold_loop and observer.before_body is not None:
                    await observer.before_body()
            started = time.perf_counter()
            try:
                if guard is not None and observer is not None and timeout is not None:
                    # Told first: a node that never yields cannot stop itself at the limit.
                    guard.started(observer.run_id, node_id, attempt, timeout)
                    try:
                        result = await asyncio.wait_for(call(state, dict(config), attempt), timeout)
                    finally:
                        guard.ended(observer.run_id, node_id, attempt)
                elif timeout is not None:
                    result = await asyncio.wait_for(call(state, dict(config), attempt), timeout)
                else:
                    result = await call(state, dict(config), attempt)
            except GraphBubbleUp:
                # interrupt() and friends: not a failure, LangGraph handles them.
                if observer is not None:
                    observer.node_interrupted(node_id)
                raise
            except asyncio.CancelledError:
                raise
            except NodeFailed as exc:
                if observer is not None and observer.redactor:
                    raise _redacted(exc, observer) from None
                raise
            except Exception as exc:
                elapsed = (time.perf_counter() - started) * 1000
                # What the code raised, its own type and line (not our wrapper's).
                raised: BaseException = exc.raised if isinstance(exc, Escaped) else exc
                cause = raised
                if isinstance(exc, TimeoutError) and timeout is not None:
                    cause = TimeoutError(f"timed out after {timeout:g}s")
                if attempt < attempts and retry is not None:
                    delay = backoff_delay(
                        attempt, retry.initial_interval, retry.backoff_factor, retry.max_interval
                    )
                    if observer is not None:
                        observer.node_retrying(node_id, attempt, describe(cause), delay)
                    if span is not None:
                        span.retrying(attempt, describe(cause), delay)
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
                failure = NodeFailed(node_id, cause, line_of(raised) if line_of else None)
                if observer is not None and observer.redactor:
                    # The original exception may carry the secret (in its message or
                    # its request): it must not reach LangGraph's error writes.
                    failure = _redacted(failure, observer)
                    observer.node_failed(node_id, str(failure), elapsed, failure.line)
                    raise failure from None
                if observer is not None:
                    observer.node_failed(node_id, str(failure), elapsed, failure.line)
                if raise_as_raised:
                    raise raised from None
                raise failure from raised
            if observer is not None and observer.redactor:
                result = observer.redactor.scrub(result)  # outputs become state and checkpoints
            elapsed = (time.perf_counter() - started) * 1000
            try:
                # A lock, a socket, a generator, an object of the node's own class: the
                # checkpoint would refuse it later, naming no node.
                check_storable(result)
                if observer is not None:
                    observer.node_finished(node_id, output_of(node_id, result), elapsed)
            except (ValueError, TypeError, RecursionError) as exc:
                # Too big, not text, too deep, a cycle or an integer too long to write:
                # the run fails here, naming the node, before LangGraph puts the output
                # into its state and checkpoints.
                known = isinstance(exc, ValueTooLarge | NotUnicode | Unstorable)
                why = str(exc) if known else f"its output cannot be stored: {describe(exc)}"
                failure = NodeFailed(node_id, why)
                if observer is not None:
                    observer.node_failed(node_id, str(failure), elapsed, failure.line)
                raise failure from None
            return result

    node.__name__ = f"orcheo_node_{node_id}"
    setattr(node, _REPORTS, True)
    return node


def reports(fn: object) -> bool:
    """Whether ``fn`` is a node function made by ``instrument`` (a script may build its
    graph from drawn nodes: those report already)."""
    return bool(getattr(fn, _REPORTS, False))


def _redacted(failure: NodeFailed, observer: obs.RunObserver) -> NodeFailed:
    """The same failure with the run's secret values scrubbed from its message."""
    text = observer.redactor.text(str(failure))
    clean = NodeFailed(failure.node, text)
    clean.args = (text,)
    clean.line = failure.line
    clean.kind = failure.kind
    return clean


def output_of(node_id: str, update: Any) -> Any:
    """What an event shows as the node's output: its result entry, else the update."""
    if isinstance(update, dict):
        results = update.get("results")
        if isinstance(results, dict) and node_id.rsplit("/", 1)[-1] in results:
            return results[node_id.rsplit("/", 1)[-1]]
    return update
