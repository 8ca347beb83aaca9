"""Finished spans as the rows the run store keeps (``common.span_rows.SpanRow``).

Made once per run, when its spans are taken, straight from the spans: no record dict
in between. What every span of a run shares (its service, its trace id's hex form,
the JSON of a plain status) is worked out once; an orcheo span's own fields are read
directly, any other ``ReadableSpan`` through its properties.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanKind, StatusCode

from ..common.span_rows import SpanRow, encode
from .lean import LeanSpan

# Enum names as JSON, worked out once (``Enum.name`` is a descriptor call per read),
# keyed by the members' identity (``Enum.__hash__`` is a Python call per lookup).
_KINDS = {id(kind): f'"{kind.name.lower()}"' for kind in SpanKind}
#: A status without a description, as JSON.
_STATUSES = {id(code): encode({"code": code.name.lower(), "message": None}) for code in StatusCode}
_CODES = {id(code): code.name.lower() for code in StatusCode}


def span_rows(spans: Iterable[ReadableSpan]) -> list[SpanRow]:
    pid = os.getpid()
    services: dict[int, str] = {}
    traces: dict[int, str] = {}
    rows: list[SpanRow] = []
    for span in spans:
        if type(span) is LeanSpan:
            context, parent = span._context, span._parent
            name, kind, status = span._name, span._kind, span._status
            start, end = span._start_time, span._end_time
            attributes: Any = span._attributes  # plain values; tuples become JSON lists
            events: Sequence[Event] = span._events
            links: Sequence[Link] = span._links
            resource = span._resource
        else:
            found = span.get_span_context()
            if found is None:
                continue
            context, parent = found, span.parent
            name, kind, status = span.name, span.kind, span.status
            start, end = span.start_time, span.end_time
            attributes = dict(span.attributes) if span.attributes else {}
            events, links, resource = span.events, span.links, span.resource
        service = services.get(id(resource))
        if service is None:
            service = services[id(resource)] = _service(resource, pid)
        trace_id = traces.get(context.trace_id)
        if trace_id is None:
            trace_id = traces[context.trace_id] = f"{context.trace_id:032x}"
        if status.description is None:
            status_json = _STATUSES[id(status.status_code)]
        else:
            status_json = encode(
                {"code": _CODES[id(status.status_code)], "message": status.description}
            )
        data = (
            f'{{"kind":{_KINDS[id(kind)]},"status":{status_json},"attributes":{encode(attributes)},'
            f'"events":{_events(events)},"service":{service}'
        )
        if links:  # e.g. a resumed part of a run: the request that resumed it
            data += f',"links":{_links(links)}'
        start = int(start or 0)
        rows.append(
            (
                f"{context.span_id:016x}",
                trace_id,
                f"{parent.span_id:016x}" if parent is not None else None,
                name,
                start,
                int(end or start),
                data + "}",
            )
        )
    return rows


def _service(resource: Any, pid: int) -> str:
    attributes = resource.attributes if resource is not None else {}
    return encode({"name": str(attributes.get("service.name", "")), "pid": pid})


def _events(events: Sequence[Event]) -> str:
    if not events:
        return "[]"
    return encode(
        [
            {
                "name": event.name,
                "time_ns": int(event.timestamp or 0),
                "attributes": dict(event.attributes) if event.attributes else {},
            }
            for event in events
        ]
    )


def _links(links: Sequence[Link]) -> str:
    return encode(
        [
            {
                "trace_id": f"{link.context.trace_id:032x}",
                "span_id": f"{link.context.span_id:016x}",
                "attributes": dict(link.attributes) if link.attributes else {},
            }
            for link in links
        ]
    )
