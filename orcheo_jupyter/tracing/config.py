"""Which traces this process makes: the standard OTEL_* variables plus ORCHEO_TRACE_STORE.

Read without importing OpenTelemetry, so a process that traces nothing (the
default) pays for one environment lookup.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..common.flags import parse_flag

#: What OTEL_TRACES_EXPORTER may name (comma-separated); ``none`` alone turns exports off.
EXPORTERS = ("console", "otlp", "none")
#: OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL values this package can send.
OTLP_PROTOCOLS = ("http/protobuf",)


class TracingConfigError(ValueError):
    """A tracing variable holds something this package cannot honour."""


@dataclass(frozen=True)
class TraceSettings:
    #: Exporters named by OTEL_TRACES_EXPORTER, without ``none``.
    exporters: tuple[str, ...] = ()
    #: Keep each run's spans with the run (GET /executions/{id}/trace, the Trace tab).
    store: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.exporters) or self.store

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, store: bool | None = None
    ) -> TraceSettings:
        env = os.environ if env is None else env
        if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return cls()
        names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "none").split(",")]
        unknown = [n for n in names if n not in EXPORTERS]
        if unknown:
            raise TracingConfigError(
                f"OTEL_TRACES_EXPORTER: unknown exporter {unknown[0]!r}; "
                f"expected a comma-separated list of {', '.join(EXPORTERS)}"
            )
        exporters = tuple(dict.fromkeys(n for n in names if n != "none"))
        if "otlp" in exporters:
            for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
                protocol = env.get(name, "").strip()
                if protocol:
                    if protocol not in OTLP_PROTOCOLS:
                        raise TracingConfigError(
                            f"{name}: {protocol!r} is not supported; expected http/protobuf"
                        )
                    break
        if store is None:
            store = read_flag(env, "ORCHEO_TRACE_STORE")
        return cls(exporters, store)


def read_flag(env: Mapping[str, str], name: str) -> bool:
    """``name``'s on/off value; unset or empty: off."""
    raw = env.get(name, "")
    if not raw.strip():
        return False
    try:
        return parse_flag(raw, name)
    except ValueError as exc:
        raise TracingConfigError(str(exc)) from None
