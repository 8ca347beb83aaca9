"""HTTP polling triggers: fetch a URL every interval, start a run when the answer changes.

The first good answer is the baseline: a trigger armed now owes nothing for what
changed before. After that, a run starts each time the value changes: the whole
answer, or the part at ``deduplicate_on`` (a dotted path into its JSON). Errors
(unreachable, non-2xx, not JSON where a path needs it, too large) are recorded on
the trigger and never start a run or move the baseline.

What each trigger last saw is stored as a digest with the time, outcome and last run.
Storing a change and the job it starts is one transaction that only succeeds if the
stored value is still the one this process compared against, so two servers polling
the same data see the change alike and exactly one of them starts the run. After a
restart the stored value is the baseline, and a trigger is not polled again before
its interval is up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import httpx

from ..nodes.library.trigger_nodes import HttpPollingTriggerNode
from ..runtime.secrets import SecretUnavailable, parse_ref
from .clock import Clock
from .config import TriggerSpec
from .dispatcher import Dispatcher, iso, parse_iso
from .records import PollRaced, PollState
from .store import TriggerStore
from .ticking import TriggerTable

log = logging.getLogger(__name__)

#: A larger answer is an error: it would become a run's inputs.
MAX_RESPONSE_BYTES = 1024 * 1024
#: Polls in flight at once, all triggers together.
MAX_CONCURRENT_POLLS = 8


class PollFailed(Exception):
    """This poll cannot be compared; the message says why (and holds no secret)."""


@dataclass
class _Entry:
    spec: TriggerSpec
    config: HttpPollingTriggerNode
    version: int | None
    target: str
    due: dt.datetime
    state: PollState | None


def target_of(config: HttpPollingTriggerNode) -> str:
    """A digest of what is polled: another URL or path means another baseline."""
    what = [config.url, config.method, sorted(config.query_params.items()), config.deduplicate_on]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _quotes(text: str, secret: str) -> bool:
    forms = {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1]}
    return any(form and form in text for form in forms)


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path (``items.0.id``); PollFailed naming the missing part."""
    current = document
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise PollFailed(f"deduplicate_on: {'.'.join(walked)!r} is not in the response")
    return current


class HttpPoller(TriggerTable[PollState, _Entry]):
    name = "polling"
    kind = "http_polling"
    config_type = HttpPollingTriggerNode

    def __init__(
        self,
        store: TriggerStore,
        dispatcher: Dispatcher,
        *,
        clock: Clock | None = None,
        vault: Any = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(store, dispatcher, clock=clock)
        self.vault = vault
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_POLLS)

    async def stored_states(self) -> list[PollState]:
        """What every trigger last saw."""
        return await self.store.poll_states()

    def _enter(self, spec: TriggerSpec, version: int | None, now: dt.datetime) -> _Entry:
        assert isinstance(spec.config, HttpPollingTriggerNode)
        config, target = spec.config, target_of(spec.config)
        known = self._entries.get(spec.key)
        if known is not None and known.target == target:
            known.spec, known.config, known.version = spec, config, version
            return known
        stored = self._stored.get(spec.key)
        if stored is None or stored.target != target:  # a new target: its baseline now
            return _Entry(spec, config, version, target, now, None)
        due = parse_iso(stored.polled_at) + dt.timedelta(seconds=config.interval_seconds)
        return _Entry(spec, config, version, target, due, stored)

    async def _keep(self, entered: list[str], dropped: list[tuple[str, str]]) -> None:
        """What a trigger saw is stored by its polls; a dropped trigger's is forgotten."""
        if dropped:
            await self.store.drop_poll_states(dropped)

    def status(self, key: str) -> dict[str, Any] | None:
        """When the trigger polls next, and what its last poll saw."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        last = entry.state.as_dict() if entry.state is not None else None
        return {"next_poll_at": iso(entry.due), "last_poll": last}

    # --- polling ---------------------------------------------------------------------------
    async def tick(self) -> list[PollState]:
        """Poll every trigger that is due now; returns what each poll recorded."""
        async with self._lock:
            now = self.clock.now()
            due = [e for e in self._entries.values() if e.due <= now]
            for entry in due:  # the next poll is an interval after this one started
                entry.due = now + dt.timedelta(seconds=entry.config.interval_seconds)
            results = await asyncio.gather(*(self._poll(e, now) for e in due))
        return [r for r in results if r is not None]

    async def _poll(self, entry: _Entry, now: dt.datetime) -> PollState | None:
        spec = entry.spec
        base = PollState(spec.workflow_id, spec.trigger_id, entry.target, None, iso(now), "error")
        try:
            async with self._slots:
                answer, value, status_code = await self._fetch(entry)
        except PollFailed as exc:
            return await self._record(entry, replace(base, detail=str(exc)), None)
        seen = _digest(value)
        previous = entry.state.seen if entry.state is not None else None
        if previous is None:
            return await self._record(entry, replace(base, seen=seen, status="baseline"), None)
        if seen == previous:
            return await self._record(entry, replace(base, seen=seen, status="unchanged"), None)
        inputs = {
            "trigger": {
                "type": "http_polling",
                "id": spec.trigger_id,
                "url": entry.config.url,
                "polled_at": iso(now),
                "status_code": status_code,
            },
            "response": answer,
        }
        job = self.dispatcher.new_job(
            spec.workflow_id,
            inputs,
            source="http_polling",
            version=entry.version,
            source_key=spec.key,
        )
        fired = replace(base, seen=seen, status="fired", run_id=job.run_id)
        return await self._record(entry, fired, job, expected=previous)

    async def _record(
        self, entry: _Entry, state: PollState, job: Any, expected: str | None = None
    ) -> PollState | None:
        try:
            stored = await self.store.record_poll(state, job, expected=expected)
        except PollRaced:
            # Another server stored this change (and started its run) first: adopt it.
            await self.load()
            entry.state = self._stored.get(entry.spec.key)
            return None
        except Exception:
            log.exception("orcheo: storing the poll of %s failed", entry.spec.key)
            return None
        entry.state = stored
        self._stored[entry.spec.key] = stored
        if job is not None:
            self.dispatcher.add(job)
        return stored

    async def _fetch(self, entry: _Entry) -> tuple[Any, Any, int]:
        """(the answer, the value compared, the status code); PollFailed saying why not."""
        config = entry.config
        headers = {
            name: await self._header(name, value, entry) for name, value in config.headers.items()
        }
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=True)
        try:
            async with self._client.stream(
                config.method,
                config.url,
                headers=headers,
                params=config.query_params,
                timeout=config.timeout_seconds,
            ) as reply:
                body = bytearray()
                async for chunk in reply.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise PollFailed(
                            f"the answer is larger than {MAX_RESPONSE_BYTES // 1024} KiB"
                        )
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: e.g. a header httpx refuses
            # The error may quote a header value (as text or escaped bytes), and that
            # may be a credential: then its details are withheld.
            text = str(exc)
            secrets = [v for k, v in headers.items() if v != config.headers[k]]
            if any(_quotes(text, secret) for secret in secrets):
                text = "(details withheld: they quote a credential)"
            raise PollFailed(
                f"{config.method} {config.url}: {type(exc).__name__}: {text}"
            ) from None
        if not reply.is_success:
            raise PollFailed(f"{config.method} {config.url} answered {reply.status_code}")
        try:
            answer: Any = json.loads(body)
        except ValueError:
            if config.deduplicate_on:
                raise PollFailed(
                    "deduplicate_on needs a JSON answer; this one is not JSON"
                ) from None
            answer = body.decode(reply.encoding or "utf-8", errors="replace")
        value = value_at(answer, config.deduplicate_on) if config.deduplicate_on else answer
        return answer, value, reply.status_code

    async def _header(self, name: str, value: str, entry: _Entry) -> str:
        ref = parse_ref(value)
        if ref is None:
            return value
        if self.vault is None:
            raise PollFailed(f"header {name}: no credential vault to read {value} from")
        try:
            secret, audited = await self.vault.read_audited(
                ref, workflow_id=entry.spec.workflow_id, actor="http_polling"
            )
        except SecretUnavailable as exc:
            raise PollFailed(f"header {name}: {exc}") from None
        await audited
        return str(secret)

    # --- the loop --------------------------------------------------------------------------
    def next_due(self) -> dt.datetime | None:
        return min((e.due for e in self._entries.values()), default=None)

    async def stop(self) -> None:
        await super().stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
